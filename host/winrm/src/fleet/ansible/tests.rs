//! Unit tests of the Ansible reader; the oracle tests against `ansible-inventory` are in
//! host/winrm/tests/ansible_inventory.rs.

use super::*;
use serde_json::json;

fn hosts(text: &str, f: Format) -> Vec<(String, serde_json::Map<String, Value>)> {
    resolve(text, f)
        .unwrap()
        .hosts
        .into_iter()
        .map(|h| (h.name.clone(), h.vars_json()))
        .collect()
}

fn var(hs: &[(String, serde_json::Map<String, Value>)], host: &str, k: &str) -> Value {
    let h = hs.iter().find(|(n, _)| n == host).unwrap();
    h.1.get(k).cloned().unwrap_or(Value::Null)
}

const INI: &str = r#"
solo ansible_port=5985

[web]
ws[01:02] ansible_port="5986"
ws03:5999 x=True

[web:vars]
ansible_user=CORP\svc
p="5985"
role=web

[dc]
ws01
[dc:vars]
role=dc
ansible_group_priority=5

[site:children]
web
dc

[site:vars]
role=site
deep=site

[all:vars]
ansible_connection=winrm
deep=all
"#;

#[test]
fn ini_groups_ranges_types_and_precedence() {
    let hs = hosts(INI, Format::Ini);
    let names: Vec<&str> = hs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["solo", "ws01", "ws02", "ws03"]);
    // Host line: shlex removes the quotes first, so "5986" is the number 5986.
    assert_eq!(var(&hs, "ws01", "ansible_port"), json!(5986));
    assert_eq!(var(&hs, "ws03", "ansible_port"), json!(5999));
    assert_eq!(var(&hs, "ws03", "x"), json!(true));
    // :vars: the quotes reach literal_eval, so "5985" stays a string.
    assert_eq!(var(&hs, "ws01", "p"), json!("5985"));
    assert_eq!(var(&hs, "ws01", "ansible_user"), json!("CORP\\svc"));
    // web and dc are both depth 2; dc has priority 5 > web's 1, so dc wins for ws01.
    assert_eq!(var(&hs, "ws01", "role"), json!("dc"));
    assert_eq!(var(&hs, "ws02", "role"), json!("web"));
    // site (depth 1) beats all (depth 0).
    assert_eq!(var(&hs, "ws02", "deep"), json!("site"));
    assert_eq!(var(&hs, "solo", "deep"), json!("all"));
    let r = resolve(INI, Format::Ini).unwrap();
    let site = r.groups.iter().find(|(g, _)| g == "site").unwrap();
    assert_eq!(site.1, ["ws01", "ws02", "ws03"]);
    let ungrouped = r.groups.iter().find(|(g, _)| g == "ungrouped").unwrap();
    assert_eq!(ungrouped.1, ["solo"]);
}

#[test]
fn ini_errors_name_the_line() {
    for (text, want) in [
        ("[web:vars]\nx=1\n", "never declared"),
        ("[a:children]\nb\n", "never declared"),
        ("[web]\nws01 novalue\n", "line 2"),
        ("[web:bogus]\n", "unknown type"),
        ("[web servers]\n", "no spaces"),
        ("[web-servers]\nws01\n", "group name"),
        ("[a:children]\nb\n[b:children]\na\n", "loop"),
    ] {
        let e = resolve(text, Format::Ini).unwrap_err();
        assert!(e.contains(want), "{text:?}: {e}");
    }
}

const YAML: &str = r#"
all:
  vars:
    ansible_connection: winrm
    level: all
  children:
    windows:
      vars:
        level: windows
        ansible_winrm_transport: ntlm
      children:
        dcs:
          hosts:
            dc[1:2]:
              ansible_host: 10.0.0.1
          vars:
            level: dcs
      hosts:
        app01:
          level: host
  hosts:
    loose:
"#;

#[test]
fn yaml_nesting_and_precedence() {
    let hs = hosts(YAML, Format::Yaml);
    let names: Vec<&str> = hs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["loose", "app01", "dc1", "dc2"]);
    assert_eq!(var(&hs, "dc1", "level"), json!("dcs"));
    assert_eq!(var(&hs, "app01", "level"), json!("host"));
    assert_eq!(var(&hs, "loose", "level"), json!("all"));
    assert_eq!(var(&hs, "dc2", "ansible_winrm_transport"), json!("ntlm"));
}

#[test]
fn yaml_refuses_what_ansible_only_warns_about() {
    for (text, want) in [
        ("all:\n  host:\n    a:\n", "unexpected key"),
        ("web: [a, b]\n", "not a mapping"),
        ("plugin: aws_ec2\n", "plugin"),
        ("all:\n  hosts: [a]\n", "must be a mapping"),
    ] {
        let e = resolve(text, Format::Yaml).unwrap_err();
        assert!(e.contains(want), "{text:?}: {e}");
    }
}

fn map(vars: &[(&str, Var)]) -> Result<Mapped, String> {
    map_with(vars, &Ok(()))
}

fn map_with(vars: &[(&str, Var)], private: &Result<(), String>) -> Result<Mapped, String> {
    let mut v: BTreeMap<String, Var> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    v.entry("ansible_connection".into())
        .or_insert(Var::Data(json!("winrm")));
    v.entry("ansible_user".into())
        .or_insert(Var::Data(json!("CORP\\svc")));
    map_host(
        &ResolvedHost {
            name: "ws01".into(),
            vars: v,
            origins: BTreeMap::new(),
        },
        &|_| private.clone(),
    )
}

fn s(x: &str) -> Var {
    Var::Data(json!(x))
}

fn usable(r: Result<Mapped, String>) -> HostEntry {
    match r.unwrap() {
        Mapped::Usable(e) => *e,
        Mapped::Refused(p) => panic!("refused: {p}"),
    }
}

fn refused(r: Result<Mapped, String>) -> String {
    match r.unwrap() {
        Mapped::Usable(e) => panic!("usable: {e:?}"),
        Mapped::Refused(p) => p,
    }
}

#[test]
fn endpoint_defaults_like_the_winrm_plugin() {
    let e = usable(map(&[("ansible_winrm_transport", s("ntlm"))]));
    assert_eq!(e.endpoint, "https://ws01:5986/wsman");
    assert_eq!(e.auth, AuthKind::Ntlm);
    assert_eq!(e.password, PasswordSource::Prompt);
    assert_eq!(e.results_dir, DEFAULT_RESULTS_DIR);
    let e = usable(map(&[
        ("ansible_winrm_transport", s("ntlm")),
        ("ansible_port", Var::Data(json!(5985))),
        ("ansible_host", s("10.0.0.5")),
        ("stigpack_results_dir", s("D:\\R")),
    ]));
    assert_eq!(e.endpoint, "http://10.0.0.5:5985/wsman");
    assert_eq!(e.results_dir, "D:\\R");
    assert_eq!(
        (e.verify_profile.clone(), e.apply_profile.clone()),
        (None, None)
    );
    // Tool profiles: a built-in name, or a file (resolved against the inventory's
    // directory when the inventory is loaded).
    let e = usable(map(&[
        ("ansible_winrm_transport", s("ntlm")),
        ("stigpack_verify_profile", s("profiles/site-scan.json")),
        ("stigpack_apply_profile", s("powerstig")),
    ]));
    assert_eq!(
        e.verify_profile,
        Some(ProfileRef::File("profiles/site-scan.json".into()))
    );
    assert_eq!(
        e.apply_profile,
        Some(ProfileRef::Builtin("powerstig".into()))
    );
    let e = usable(map(&[
        ("ansible_winrm_transport", Var::Data(json!(["ntlm"]))),
        ("ansible_port", s("8443")),
        ("ansible_winrm_scheme", s("https")),
        ("ansible_winrm_path", s("/custom")),
        ("ansible_winrm_host", s("alias.corp")),
        ("ansible_host", s("ignored.corp")),
    ]));
    assert_eq!(e.endpoint, "https://alias.corp:8443/custom");
    // No transport over https: Ansible's default is Basic (pywinrm `ssl`).
    assert_eq!(usable(map(&[])).auth, AuthKind::Basic);
}

#[test]
fn kerberos_transport_and_its_settings() {
    let e = usable(map(&[
        ("ansible_winrm_transport", s("kerberos")),
        ("ansible_port", Var::Data(json!(5985))),
        ("ansible_host", s("10.0.0.5")),
        (
            "ansible_winrm_kerberos_hostname_override",
            s("ws01.corp.example"),
        ),
        ("stigpack_kerberos_realm", s("CORP.EXAMPLE")),
        ("stigpack_kerberos_kdc", s("dc1.corp.example:88")),
        ("ansible_winrm_kinit_mode", s("managed")),
        ("ansible_winrm_kerberos_delegation", s("false")),
    ]));
    assert_eq!(e.auth, AuthKind::Kerberos);
    assert_eq!(e.endpoint, "http://10.0.0.5:5985/wsman");
    assert_eq!(
        e.kerberos,
        KerberosSettings {
            realm: Some("CORP.EXAMPLE".into()),
            kdc: Some("dc1.corp.example:88".into()),
            hostname_override: Some("ws01.corp.example".into()),
        }
    );
    // Unset: realm and KDC come from the user name and krb5.conf when connecting.
    let e = usable(map(&[("ansible_winrm_transport", s("kerberos"))]));
    assert_eq!(e.kerberos, KerberosSettings::default());
    // pywinrm's default for a UPN user is Kerberos.
    let e = usable(map(&[("ansible_user", s("svc@CORP.EXAMPLE"))]));
    assert_eq!(e.auth, AuthKind::Kerberos);
}

/// Ansible's `kinit_mode`: `managed` (a ticket from the password) when a password is set,
/// else `manual` (the ticket already in the credential cache); NTLM never uses a cache.
#[test]
fn kerberos_ticket_from_the_password_or_the_credential_cache() {
    let krb = ("ansible_winrm_transport", s("kerberos"));
    let pw = ("ansible_password", s("{{ lookup('env', 'PW') }}"));
    let mode = |m: &str| ("ansible_winrm_kinit_mode", s(m));
    let cases = [
        (vec![krb.clone()], PasswordSource::CredentialCache),
        (
            vec![krb.clone(), pw.clone()],
            PasswordSource::Env("PW".into()),
        ),
        (
            vec![krb.clone(), mode("manual")],
            PasswordSource::CredentialCache,
        ),
        // manual: the password is not used (as Ansible does), not even evaluated.
        (
            vec![krb.clone(), pw.clone(), mode("manual")],
            PasswordSource::CredentialCache,
        ),
        (
            vec![
                krb.clone(),
                ("ansible_password", Var::Vault),
                mode("manual"),
            ],
            PasswordSource::CredentialCache,
        ),
        (vec![krb.clone(), mode("managed")], PasswordSource::Prompt),
        (
            vec![krb, pw.clone(), mode("managed")],
            PasswordSource::Env("PW".into()),
        ),
        (
            vec![("ansible_winrm_transport", s("ntlm")), mode("manual")],
            PasswordSource::Prompt,
        ),
    ];
    for (vars, want) in cases {
        let e = usable(map(&vars));
        assert_eq!(e.password, want, "{vars:?}");
    }
}

#[test]
fn password_sources() {
    let ntlm = ("ansible_winrm_transport", s("ntlm"));
    for form in [
        "{{ lookup('env', 'WINRM_PW') }}",
        "{{lookup(\"env\",\"WINRM_PW\")}}",
        "{{ lookup('ansible.builtin.env', 'WINRM_PW') }}",
    ] {
        let e = usable(map(&[ntlm.clone(), ("ansible_password", s(form))]));
        assert_eq!(e.password, PasswordSource::Env("WINRM_PW".into()), "{form}");
    }
    let e = usable(map(&[ntlm.clone(), ("ansible_password", s("hunter2"))]));
    assert_eq!(e.password, PasswordSource::Inline(Secret::new("hunter2")));
    let err = map_with(
        &[ntlm.clone(), ("ansible_password", s("hunter2"))],
        &Err("is readable by others".into()),
    )
    .unwrap_err();
    assert!(
        err.contains("host ws01: ansible_password is a literal password"),
        "{err}"
    );
    let p = refused(map(&[ntlm.clone(), ("ansible_password", Var::Vault)]));
    assert!(p.contains("vault") && p.contains("lookup('env'"), "{p}");
    let p = refused(map(&[
        ntlm.clone(),
        ("ansible_password", s("{{ vault_pw }}")),
    ]));
    assert!(p.contains("ansible_password"), "{p}");
    // !unsafe text is never templated: it is a literal password.
    let e = usable(map(&[
        ntlm,
        ("ansible_password", Var::Unsafe(json!("{{x}}"))),
    ]));
    assert_eq!(e.password, PasswordSource::Inline(Secret::new("{{x}}")));
}

#[test]
fn refusals_name_the_variable_and_value() {
    let cases: Vec<(Vec<(&str, Var)>, &str)> = vec![
        (
            vec![("ansible_winrm_transport", s("credssp"))],
            "ansible_winrm_transport=credssp",
        ),
        (
            vec![("ansible_winrm_transport", s("ntlm,kerberos"))],
            "one transport",
        ),
        (
            vec![("ansible_winrm_transport", s("ntlm,basic"))],
            "one transport",
        ),
        (
            vec![("ansible_connection", s("ssh"))],
            "ansible_connection=ssh",
        ),
        (
            vec![("ansible_connection", s("psrp"))],
            "ansible_connection=psrp",
        ),
        (
            vec![
                ("ansible_winrm_transport", s("kerberos")),
                ("ansible_winrm_kinit_mode", s("sometimes")),
            ],
            "ansible_winrm_kinit_mode=sometimes",
        ),
        (
            vec![
                ("ansible_winrm_transport", s("kerberos")),
                ("ansible_winrm_kerberos_delegation", s("true")),
            ],
            "ansible_winrm_kerberos_delegation",
        ),
        (
            vec![
                ("ansible_winrm_transport", s("kerberos")),
                ("stigpack_kerberos_kdc", s("")),
            ],
            "stigpack_kerberos_kdc is empty",
        ),
        (
            vec![("ansible_port", Var::Data(json!(5985)))],
            "Basic over http",
        ),
        (
            vec![
                ("ansible_winrm_transport", s("basic")),
                ("ansible_winrm_scheme", s("http")),
            ],
            "Basic authentication over http",
        ),
        (
            vec![
                ("ansible_winrm_transport", s("ntlm")),
                ("ansible_port", Var::Data(json!(5985))),
                ("ansible_winrm_message_encryption", s("never")),
            ],
            "ansible_winrm_message_encryption=never",
        ),
        (
            vec![
                ("ansible_winrm_transport", s("ntlm")),
                ("ansible_winrm_message_encryption", s("always")),
            ],
            "ansible_winrm_message_encryption=always",
        ),
        (
            vec![("ansible_winrm_cert_pem", s("/c.pem"))],
            "ansible_winrm_cert_pem",
        ),
        (
            vec![("ansible_winrm_proxy", s("http://p"))],
            "ansible_winrm_proxy",
        ),
        (vec![("stigpack_result_dir", s("x"))], "stigpack_result_dir"),
        (
            vec![("stigpack_verify_profile", s(""))],
            "stigpack_verify_profile is empty",
        ),
        (vec![("ansible_become", s("yes"))], "ansible_become"),
        (
            vec![("ansible_winrm_ca_trust_path", s("ca.pem"))],
            "absolute path",
        ),
        (
            vec![("ansible_host", s("{{ inventory_hostname }}.corp"))],
            "Jinja",
        ),
        (vec![("ansible_port", s("http"))], "ansible_port"),
    ];
    for (vars, want) in cases {
        let p = refused(map(&vars));
        assert!(p.contains(want), "{vars:?}: {p}");
    }
    // Ignored (documented): timeouts and psrp settings of a winrm host.
    usable(map(&[
        ("ansible_winrm_transport", s("ntlm")),
        ("ansible_winrm_operation_timeout_sec", Var::Data(json!(60))),
        ("ansible_psrp_protocol", s("http")),
        ("ansible_shell_type", s("powershell")),
    ]));
}

#[test]
fn certificates() {
    let ntlm = ("ansible_winrm_transport", s("ntlm"));
    let e = usable(map(&[
        ntlm.clone(),
        ("ansible_winrm_server_cert_validation", s("ignore")),
    ]));
    assert!(e.ignore_cert_requested);
    let e = usable(map(&[
        ntlm.clone(),
        ("ansible_winrm_ca_trust_path", s("/etc/ca.pem")),
    ]));
    assert_eq!(
        e.ca_file.as_deref(),
        Some(std::path::Path::new("/etc/ca.pem"))
    );
    assert!(!e.ignore_cert_requested);
    let p = refused(map(&[
        ntlm,
        ("ansible_winrm_server_cert_validation", s("maybe")),
    ]));
    assert!(
        p.contains("ansible_winrm_server_cert_validation=maybe"),
        "{p}"
    );
}

#[test]
fn env_lookup_forms() {
    assert_eq!(
        env_lookup("{{ lookup('env', 'A_1') }}").as_deref(),
        Some("A_1")
    );
    assert_eq!(env_lookup("{{ lookup('env','A') | default('x') }}"), None);
    assert_eq!(env_lookup("{{ lookup('file', 'A') }}"), None);
    assert_eq!(env_lookup("{{ lookup('env', 'A B') }}"), None);
    assert_eq!(env_lookup("{{ lookup('env', \"A') }}"), None);
}
