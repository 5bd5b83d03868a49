//! Ansible inventories checked against the real thing: for every sample inventory under
//! fixtures/inventories/ansible/, `ansible-inventory -i FILE --list` (ansible-core, in
//! the project venv) is the oracle for every host's resolved variables, and
//! `ansible -i FILE all [--limit P] --list-hosts` for which hosts, in which order. With
//! CI=true a missing ansible-core fails the tests; elsewhere they are skipped.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use stigpack_winrm::fleet::ansible::{resolve_beside, Format};
use stigpack_winrm::fleet::{Inventory, InventoryError, PasswordSource};
use stigpack_winrm::CertCheck;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    repo().join("fixtures/inventories/ansible")
}

/// The venv's bin directory holding ansible-core: beside `$STIGPACK_PYTHON`, else
/// `<repo>/.venv/bin`. Missing: skip, or fail when CI=true.
fn ansible_bin() -> Option<PathBuf> {
    let bin = match std::env::var_os("STIGPACK_PYTHON") {
        Some(p) => PathBuf::from(p).parent().map(Path::to_path_buf)?,
        None => repo().join(".venv/bin"),
    };
    if bin.join("ansible-inventory").is_file() {
        return Some(bin);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "ansible-inventory is missing from {} (CI=true): run scripts/setup.sh",
            bin.display()
        );
    }
    eprintln!(
        "SKIP: ansible-core not installed in {} (run scripts/setup.sh)",
        bin.display()
    );
    None
}

fn ansible(bin: &Path, tool: &str, args: &[&str]) -> String {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("ansible.cfg");
    std::fs::write(&cfg, "[defaults]\n").unwrap();
    let out = Command::new(bin.join(tool))
        .args(args)
        // An empty ansible.cfg (not the user's or the system's), no cache in $HOME: the
        // defaults only.
        .current_dir(home.path())
        .env("ANSIBLE_CONFIG", &cfg)
        .env("ANSIBLE_HOME", home.path())
        .env("ANSIBLE_LOCAL_TEMP", home.path())
        .env("ANSIBLE_NOCOLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Host names from `--list-hosts` output (`  hosts (N):` then one per line).
fn list_hosts(bin: &Path, file: &Path, limit: Option<&str>) -> Vec<String> {
    let f = file.to_str().unwrap();
    let mut args = vec!["-i", f, "all", "--list-hosts"];
    if let Some(l) = limit {
        args.extend(["--limit", l]);
    }
    ansible(bin, "ansible", &args)
        .lines()
        .skip(1)
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

fn format_of(file: &Path) -> Format {
    let text = std::fs::read_to_string(file).unwrap();
    let yaml_ext = matches!(
        file.extension().and_then(|e| e.to_str()),
        None | Some("yml" | "yaml")
    );
    if yaml_ext && stigpack_winrm::fleet::ansible::yaml_document(&text).is_some() {
        Format::Yaml
    } else {
        Format::Ini
    }
}

/// An inventory whose settings live in `group_vars/` and `host_vars/` beside it.
fn vars_fixtures() -> PathBuf {
    repo().join("fixtures/inventories/ansible-vars")
}

/// Every sample inventory: the plain ones, and the same fleet in INI and YAML resolved
/// with its vars files.
fn samples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    assert!(v.len() >= 5, "sample inventories missing");
    v.extend(["site.ini", "site.yml"].map(|f| vars_fixtures().join(f)));
    v
}

/// Resolves a sample the way `Inventory::load` does: with its directory's vars files.
fn resolve_file(file: &Path) -> stigpack_winrm::fleet::ansible::Resolved {
    let text = std::fs::read_to_string(file).unwrap();
    resolve_beside(&text, format_of(file), file.parent().unwrap()).unwrap()
}

#[test]
fn same_hosts_order_and_variables_as_ansible_inventory() {
    let Some(bin) = ansible_bin() else { return };
    for file in samples() {
        let ours = resolve_file(&file);
        let list: Value = serde_json::from_str(&ansible(
            &bin,
            "ansible-inventory",
            &["-i", file.to_str().unwrap(), "--list"],
        ))
        .unwrap();
        let names: Vec<String> = ours.hosts.iter().map(|h| h.name.clone()).collect();
        // Ansible's order below the first level of groups can change between runs (it
        // walks Python sets); the samples are built so it does not, and two runs check it.
        let order = list_hosts(&bin, &file, None);
        assert_eq!(
            order,
            list_hosts(&bin, &file, None),
            "{}: Ansible's own order is unstable",
            file.display()
        );
        assert_eq!(names, order, "{}: hosts and order", file.display());
        for h in &ours.hosts {
            let theirs = list["_meta"]["hostvars"]
                .get(&h.name)
                .cloned()
                .unwrap_or_else(|| Value::Object(Default::default()));
            assert_eq!(
                Value::Object(h.vars_json()),
                theirs,
                "{}: variables of host {}",
                file.display(),
                h.name
            );
        }
        // Group membership (children included) as ansible-inventory lists it per group.
        for (g, members) in ours.groups.iter().filter(|(_, m)| !m.is_empty()) {
            let pattern_hosts = list_hosts(&bin, &file, Some(g));
            let mut ours_sorted: Vec<&String> = members.iter().collect();
            ours_sorted.sort();
            let mut theirs: Vec<&String> = pattern_hosts.iter().collect();
            theirs.sort();
            assert_eq!(ours_sorted, theirs, "{}: group {g}", file.display());
        }
    }
}

#[test]
fn limit_patterns_select_what_ansible_selects() {
    let Some(bin) = ansible_bin() else { return };
    let cases: &[(&str, &[&str])] = &[
        (
            "windows.ini",
            &[
                "workstations",
                "dc01",
                "servers:workstations",
                "workstations:&members",
                "servers:!dcs",
                "!servers",
                "ws*",
                "*",
                "kiosk-?,dc0?",
                "dcs,jump01",
                "all:!ws0[!45]",
                "w*:&m*",
            ],
        ),
        (
            "fleet.yml",
            &[
                "windows:!linux",
                "domain_controllers:sql",
                "*.corp.example",
                "windows:&sql",
                "ws?",
            ],
        ),
        ("nested.yaml", &["site", "rack:b_site", "site:!rack", "r*"]),
        (
            "precedence.ini",
            &["parent", "gamma:&alpha", "grandparent:!beta"],
        ),
    ];
    for (name, patterns) in cases {
        let file = fixtures().join(name);
        for p in *patterns {
            let mut inv = Inventory::load(&file).unwrap();
            inv.limit(p)
                .unwrap_or_else(|e| panic!("{name} --limit {p}: {e}"));
            let ours: Vec<String> = {
                let all = resolve_file(&file);
                all.hosts
                    .iter()
                    .map(|h| h.name.clone())
                    .filter(|n| {
                        inv.hosts.iter().any(|h| &h.name == n)
                            || inv.refused.iter().any(|r| &r.name == n)
                    })
                    .collect()
            };
            assert_eq!(ours, list_hosts(&bin, &file, Some(p)), "{name} --limit {p}");
        }
    }
}

// --- Mapping onto stigpack's hosts (no oracle needed) -----------------------------------

#[test]
fn sample_inventories_map_to_winrm_hosts() {
    let inv = Inventory::load(&fixtures().join("windows.ini")).unwrap();
    assert!(inv.refused.is_empty(), "{:?}", inv.refused);
    let h = |n: &str| inv.hosts.iter().find(|h| h.name == n).unwrap();
    assert_eq!(h("jump01").endpoint, "http://10.0.0.9:5985/wsman");
    assert_eq!(h("ws05").endpoint, "https://ws05:5999/wsman");
    assert_eq!(h("ws05").username, "CORP\\helpdesk");
    assert_eq!(h("ws01").username, "CORP\\svc-stig");
    assert_eq!(h("ws01").results_dir, "D:\\STIG\\Results");
    assert_eq!(
        h("ws01").password,
        PasswordSource::Env("STIG_PASSWORD".into())
    );
    assert_eq!(
        h("dc02").password,
        PasswordSource::Env("DC_PASSWORD".into())
    );
    assert_eq!(h("dc01").endpoint, "https://dc01.corp.example:5986/wsman");
    assert_eq!(
        h("dc01").ca_file.as_deref(),
        Some(Path::new("/etc/pki/corp-ca.pem"))
    );
    inv.check_usable(Path::new("windows.ini"), CertCheck::Verify)
        .unwrap();

    let mut inv = Inventory::load(&fixtures().join("fleet.yml")).unwrap();
    let refused: Vec<&str> = inv.refused.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(refused, ["weba.corp.example", "webb.corp.example"]);
    assert!(inv.refused[0].problem.contains("ansible_connection=ssh"));
    let err = inv
        .check_usable(Path::new("fleet.yml"), CertCheck::Verify)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("host weba.corp.example: ansible_connection=ssh"),
        "{err}"
    );
    inv.limit("windows").unwrap();
    inv.check_usable(Path::new("fleet.yml"), CertCheck::Verify)
        .unwrap();
    let sql1 = inv.hosts.iter().find(|h| h.name == "sql1").unwrap();
    assert_eq!(sql1.results_dir, "E:\\Evaluate-STIG\\Results");
    let lab = inv.hosts.iter().find(|h| h.name == "ws-lab").unwrap();
    assert_eq!(lab.endpoint, "http://ws-lab:5985/wsman");
}

// --- Refusals: each names the file, the host and the variable ----------------------------

fn write(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
    p
}

fn refusal(path: &Path) -> String {
    let inv = Inventory::load(path).unwrap_or_else(|e| panic!("load: {e}"));
    let err: InventoryError = inv.check_usable(path, CertCheck::Verify).unwrap_err();
    err.to_string()
}

const HEAD: &str = "[win]\nws01 ansible_connection=winrm ansible_user=svc ";

#[test]
fn refuses_credssp_naming_file_host_and_variable() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "inv.ini",
        &format!("{HEAD}ansible_winrm_transport=credssp\n"),
        0o644,
    );
    let e = refusal(&p);
    assert!(e.contains(&p.display().to_string()), "{e}");
    assert!(
        e.contains("host ws01: ansible_winrm_transport=credssp"),
        "{e}"
    );
}

#[test]
fn refuses_vault_saying_how_to_pass_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "inv.yml",
        "all:\n  hosts:\n    ws01:\n      ansible_connection: winrm\n      ansible_user: svc\n      ansible_winrm_transport: ntlm\n      ansible_password: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        6162636465\n",
        0o644,
    );
    let e = refusal(&p);
    assert!(e.contains(&p.display().to_string()), "{e}");
    assert!(
        e.contains("host ws01: ansible_password is vault-encrypted"),
        "{e}"
    );
    assert!(e.contains("lookup('env'"), "{e}");
}

#[cfg(unix)]
#[test]
fn literal_password_only_in_a_private_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{HEAD}ansible_winrm_transport=ntlm ansible_password=hunter2\n");
    let p = write(dir.path(), "inv.ini", &text, 0o644);
    let e = Inventory::load(&p).unwrap_err().to_string();
    assert!(e.contains(&p.display().to_string()), "{e}");
    assert!(
        e.contains("host ws01: ansible_password is a literal password"),
        "{e}"
    );
    assert!(e.contains("chmod 600"), "{e}");
    assert!(!e.contains("hunter2"), "the password is never printed: {e}");
    let p = write(dir.path(), "private.ini", &text, 0o600);
    let inv = Inventory::load(&p).unwrap();
    assert_eq!(
        inv.hosts[0].credentials().unwrap().password.expose(),
        "hunter2"
    );
}

#[test]
fn cert_validation_ignore_needs_the_dangerous_flag() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "inv.ini",
        &format!(
            "{HEAD}ansible_winrm_transport=ntlm ansible_winrm_server_cert_validation=ignore\n"
        ),
        0o644,
    );
    let e = refusal(&p);
    assert!(
        e.contains("host ws01: ansible_winrm_server_cert_validation=ignore"),
        "{e}"
    );
    assert!(e.contains("--dangerous-accept-any-certificate"), "{e}");
    let inv = Inventory::load(&p).unwrap();
    inv.check_usable(&p, CertCheck::DangerousAcceptAnyCertificate)
        .unwrap();
}

#[test]
fn vars_files_set_the_connection() {
    for f in ["site.ini", "site.yml"] {
        let inv = Inventory::load(&vars_fixtures().join(f)).unwrap();
        assert!(inv.refused.is_empty(), "{f}: {:?}", inv.refused);
        let h = |n: &str| inv.hosts.iter().find(|h| h.name == n).unwrap();
        // host_vars/dc01.yml over group_vars/dcs over group_vars/all over [servers:vars].
        assert_eq!(h("dc01").endpoint, "https://dc01.corp.example:5988/wsman");
        assert_eq!(h("dc02").endpoint, "https://dc02:5987/wsman");
        assert_eq!(h("app1").endpoint, "https://app1:5986/wsman");
        // host_vars/ws01/ is a directory.
        assert_eq!(h("ws01").endpoint, "https://10.0.0.21:5986/wsman");
        assert_eq!(h("ws02").results_dir, "D:\\STIG\\Results");
        assert_eq!(h("app1").username, "CORP\\svc-stig");
        assert_eq!(
            h("app1").password,
            PasswordSource::Env("WINRM_PASSWORD".into())
        );
        // group_vars/servers/10-connection.yml reaches the members of its children.
        assert_eq!(
            h("dc02").ca_file.as_deref(),
            Some(Path::new("/etc/pki/corp-ca.pem"))
        );
        assert_eq!(h("ws02").ca_file, None);
    }
}

#[test]
fn literal_password_in_a_vars_file_needs_that_file_private() {
    let dir = tempfile::tempdir().unwrap();
    // The inventory itself may be readable by others: it holds no password.
    let inv = write(
        dir.path(),
        "inv.ini",
        &format!("{HEAD}ansible_winrm_transport=ntlm\n"),
        0o644,
    );
    std::fs::create_dir(dir.path().join("host_vars")).unwrap();
    let vars = write(
        &dir.path().join("host_vars"),
        "ws01.yml",
        "ansible_password: hunter2\n",
        0o644,
    );
    let e = Inventory::load(&inv).unwrap_err().to_string();
    assert!(
        e.contains(&format!(
            "ansible_password is a literal password, and {}",
            vars.display()
        )),
        "{e}"
    );
    assert!(e.contains("chmod 600"), "{e}");
    assert!(!e.contains("hunter2"), "the password is never printed: {e}");
    write(
        &dir.path().join("host_vars"),
        "ws01.yml",
        "ansible_password: hunter2\n",
        0o600,
    );
    let loaded = Inventory::load(&inv).unwrap();
    assert_eq!(
        loaded.hosts[0].credentials().unwrap().password.expose(),
        "hunter2"
    );
}

#[test]
fn unreadable_vars_files_are_refused_naming_the_file() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "win.yml",
            "$ANSIBLE_VAULT;1.1;AES256\n6162636465\n",
            "vault-encrypted",
        ),
        ("win.yml", "- a\n- list\n", "not a mapping of variables"),
        ("win.yml", "key: [unclosed\n", "YAML"),
        ("win.json", "{\"ansible_port\": 5986,", "YAML"),
    ];
    for (name, text, problem) in cases {
        let dir = tempfile::tempdir().unwrap();
        let inv = write(
            dir.path(),
            "inv.ini",
            &format!("{HEAD}ansible_winrm_transport=ntlm\n"),
            0o644,
        );
        std::fs::create_dir(dir.path().join("group_vars")).unwrap();
        let file = write(&dir.path().join("group_vars"), name, text, 0o644);
        let e = Inventory::load(&inv).unwrap_err().to_string();
        assert!(e.contains(&inv.display().to_string()), "{e}");
        assert!(e.contains(&file.display().to_string()), "{name}: {e}");
        assert!(e.contains(problem), "{name}: {e}");
    }
}

#[test]
fn json_inventories_still_load_and_take_limit() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "fleet.json",
        r#"{"defaults":{"username":"u","password_env":"PW"},"hosts":[{"name":"ws01"},{"name":"ws02"},{"name":"db1"}]}"#,
        0o644,
    );
    let mut inv = Inventory::load(&p).unwrap();
    inv.limit("ws*:!ws02").unwrap();
    let names: Vec<&str> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["ws01"]);
    // An Ansible inventory written as JSON (YAML's subset) is read as Ansible's.
    let p = write(
        dir.path(),
        "ansible.json",
        r#"{"all":{"vars":{"ansible_connection":"winrm","ansible_user":"u","ansible_winrm_transport":"ntlm"},"hosts":{"a1":null}}}"#,
        0o644,
    );
    let inv = Inventory::load(&p).unwrap();
    assert_eq!(inv.hosts[0].endpoint, "https://a1:5986/wsman");
}
