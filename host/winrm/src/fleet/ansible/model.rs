//! Ansible's in-memory inventory (`ansible.inventory.data`): groups with parents and
//! children, hosts with their direct groups, and the three computations stigpack needs
//! from it, each done the way ansible-core 2.19 does it:
//!
//! - `reconcile`: groups without a parent become children of `all`; hosts in no group go
//!   to `ungrouped`, hosts in another group leave it.
//! - `host_vars`: group variables applied from the shallowest group to the deepest (depth
//!   = longest path from `all`), ties broken by `ansible_group_priority` then by name;
//!   then the same groups' `group_vars/` files in the same order; then the host's own
//!   variables, and its `host_vars/` file last (`VariableManager.get_vars` with the
//!   default `VARIABLE_PRECEDENCE`).
//! - `order`: the order `ansible all --list-hosts` prints (`Group.get_hosts()` of `all`).
//!   Ansible walks child groups level by level through Python sets, so below the first
//!   level its order depends on object addresses and changes from run to run; stigpack
//!   walks the same levels in declaration order, which is one of the orders Ansible can
//!   produce and the same every time.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use serde_json::Value;

/// A variable's value as Ansible holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Var {
    /// Plain data (null, booleans, numbers, strings, lists, mappings).
    Data(Value),
    /// `!unsafe`: a value Ansible never templates.
    Unsafe(Value),
    /// A vault-encrypted value (`!vault`, or text starting `$ANSIBLE_VAULT;`).
    Vault,
}

impl Var {
    /// The value as `ansible-inventory --list` prints it (vault and unsafe values are
    /// wrapped the way its JSON encoder wraps them).
    pub fn to_json(&self) -> Value {
        match self {
            Var::Data(v) => v.clone(),
            Var::Unsafe(v) => match v {
                Value::String(s) => serde_json::json!({ "__ansible_unsafe": s }),
                other => other.clone(),
            },
            Var::Vault => serde_json::json!({ "__ansible_vault": "(encrypted)" }),
        }
    }
}

pub type Vars = BTreeMap<String, Var>;

/// Variables read from `group_vars/` or `host_vars/` files, each with the file it came
/// from (a literal password is accepted only from a file private to the user).
pub type FileVars = BTreeMap<String, (Var, PathBuf)>;

/// Which vars file set each resolved variable; absent: the inventory itself.
pub type Origins = BTreeMap<String, PathBuf>;

#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub vars: Vars,
    pub priority: i64,
    /// From `group_vars/<name>` beside the inventory.
    pub file_vars: FileVars,
    pub children: Vec<usize>,
    pub parents: Vec<usize>,
    pub hosts: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Host {
    pub name: String,
    pub vars: Vars,
    /// From `host_vars/<name>` beside the inventory.
    pub file_vars: FileVars,
    /// Groups the host was put in directly, in order.
    pub groups: Vec<usize>,
}

/// Groups and hosts in the order Ansible created them; group 0 is `all`, 1 `ungrouped`.
#[derive(Debug, Clone)]
pub struct Model {
    pub groups: Vec<Group>,
    pub hosts: Vec<Host>,
    group_ix: HashMap<String, usize>,
    host_ix: HashMap<String, usize>,
    /// Every (group, host) membership, the relation `Group::hosts` and `Host::groups`
    /// hold in Ansible's order: one lookup per added host instead of a scan of the
    /// group, which made a group of n hosts cost n^2/2 comparisons (32,256 hosts from a
    /// 135-byte inventory took seconds; found by the `ansible_vars` fuzz target).
    members: HashSet<(usize, usize)>,
}

pub const ALL: usize = 0;
pub const UNGROUPED: usize = 1;

impl Model {
    pub fn new() -> Self {
        let mut m = Model {
            groups: Vec::new(),
            hosts: Vec::new(),
            group_ix: HashMap::new(),
            host_ix: HashMap::new(),
            members: HashSet::new(),
        };
        m.add_group("all");
        m.add_group("ungrouped");
        // Cannot fail: two fresh groups.
        let _ = m.add_child(ALL, UNGROUPED);
        m
    }

    pub fn group(&self, name: &str) -> Option<usize> {
        self.group_ix.get(name).copied()
    }

    pub fn add_group(&mut self, name: &str) -> usize {
        if let Some(&i) = self.group_ix.get(name) {
            return i;
        }
        self.groups.push(Group {
            name: name.to_owned(),
            vars: Vars::new(),
            priority: 1,
            file_vars: FileVars::new(),
            children: Vec::new(),
            parents: Vec::new(),
            hosts: Vec::new(),
        });
        let i = self.groups.len() - 1;
        self.group_ix.insert(name.to_owned(), i);
        i
    }

    /// `Group.add_child_group`: refuses loops, ignores an edge that exists.
    pub fn add_child(&mut self, parent: usize, child: usize) -> Result<(), String> {
        if parent == child {
            return Err(format!(
                "group {} cannot be a child of itself",
                self.groups[parent].name
            ));
        }
        if self.groups[parent].children.contains(&child) {
            return Ok(());
        }
        if self.ancestors(parent).contains(&child) {
            return Err(format!(
                "adding group {} as a child of {} creates a loop",
                self.groups[child].name, self.groups[parent].name
            ));
        }
        self.groups[parent].children.push(child);
        if !self.groups[child].parents.contains(&parent) {
            self.groups[child].parents.push(parent);
        }
        Ok(())
    }

    /// `InventoryData.add_host`: a port given with the host's first appearance becomes its
    /// `ansible_port`.
    pub fn add_host(&mut self, name: &str, group: usize, port: Option<u16>) -> usize {
        let h = match self.host_ix.get(name) {
            Some(&h) => h,
            None => {
                let mut vars = Vars::new();
                if let Some(p) = port {
                    vars.insert("ansible_port".into(), Var::Data(Value::from(p)));
                }
                self.hosts.push(Host {
                    name: name.to_owned(),
                    vars,
                    file_vars: FileVars::new(),
                    groups: Vec::new(),
                });
                let h = self.hosts.len() - 1;
                self.host_ix.insert(name.to_owned(), h);
                h
            }
        };
        self.add_host_to(h, group);
        h
    }

    /// `Group.set_variable`: `ansible_group_priority` sets the priority (Python's `int()`).
    pub fn set_group_var(&mut self, group: usize, key: &str, value: Var) -> Result<(), String> {
        if key == "ansible_group_priority" {
            let p = match &value {
                Var::Data(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
                Var::Data(Value::Bool(b)) => Some(i64::from(*b)),
                Var::Data(Value::String(s)) => s.trim().parse().ok(),
                _ => None,
            };
            let p = p.ok_or_else(|| {
                format!(
                    "group {}: ansible_group_priority must be an integer",
                    self.groups[group].name
                )
            })?;
            self.groups[group].priority = p;
        } else {
            self.groups[group].vars.insert(key.to_owned(), value);
        }
        Ok(())
    }

    pub fn set_host_var(&mut self, host: usize, key: &str, value: Var) {
        self.hosts[host].vars.insert(key.to_owned(), value);
    }

    /// Every group above `g` (not `g` itself).
    pub fn ancestors(&self, g: usize) -> HashSet<usize> {
        let mut seen = HashSet::new();
        let mut todo = self.groups[g].parents.clone();
        while let Some(p) = todo.pop() {
            if seen.insert(p) {
                todo.extend(self.groups[p].parents.iter().copied());
            }
        }
        seen
    }

    /// `InventoryData.reconcile_inventory`.
    pub fn reconcile(&mut self) -> Result<(), String> {
        for g in 0..self.groups.len() {
            if g != ALL && self.groups[g].parents.is_empty() {
                self.add_child(ALL, g)?;
            }
        }
        // Hosts leaving `ungrouped` are taken out of its list once, after the loop.
        let mut leaving = HashSet::new();
        for h in 0..self.hosts.len() {
            let groups = self.host_groups(h);
            if groups.contains(&UNGROUPED) {
                if groups.iter().any(|&g| g != ALL && g != UNGROUPED) {
                    leaving.insert(h);
                    self.members.remove(&(UNGROUPED, h));
                    self.hosts[h].groups.retain(|&x| x != UNGROUPED);
                }
            } else if groups.iter().all(|&g| g == ALL) {
                self.add_host_to(h, UNGROUPED);
            }
        }
        if !leaving.is_empty() {
            self.groups[UNGROUPED]
                .hosts
                .retain(|h| !leaving.contains(h));
        }
        Ok(())
    }

    fn add_host_to(&mut self, h: usize, g: usize) {
        if self.members.insert((g, h)) {
            self.groups[g].hosts.push(h);
            self.hosts[h].groups.push(g);
        }
    }

    /// The host's groups: the ones it is in and all their ancestors.
    pub fn host_groups(&self, h: usize) -> HashSet<usize> {
        let mut out = HashSet::new();
        for &g in &self.hosts[h].groups {
            out.insert(g);
            out.extend(self.ancestors(g));
        }
        out
    }

    /// A group's depth: the longest path from `all` down to it.
    fn depth(&self, g: usize, memo: &mut HashMap<usize, usize>) -> usize {
        if let Some(&d) = memo.get(&g) {
            return d;
        }
        let parents = self.groups[g].parents.clone();
        let d = parents
            .iter()
            .map(|&p| self.depth(p, memo) + 1)
            .max()
            .unwrap_or(0);
        memo.insert(g, d);
        d
    }

    /// The variables Ansible resolves for a host, with the vars file each came from.
    pub fn host_vars(&self, h: usize) -> (Vars, Origins) {
        let mut memo = HashMap::new();
        let mut keyed: Vec<(usize, i64, &str, usize)> = self
            .host_groups(h)
            .into_iter()
            .map(|g| {
                (
                    self.depth(g, &mut memo),
                    self.groups[g].priority,
                    self.groups[g].name.as_str(),
                    g,
                )
            })
            .collect();
        keyed.sort();
        let mut vars = Vars::new();
        let mut origins = Origins::new();
        let from_inventory = |vars: &mut Vars, origins: &mut Origins, from: &Vars| {
            for (k, v) in from {
                vars.insert(k.clone(), v.clone());
                origins.remove(k);
            }
        };
        let from_files = |vars: &mut Vars, origins: &mut Origins, from: &FileVars| {
            for (k, (v, file)) in from {
                vars.insert(k.clone(), v.clone());
                origins.insert(k.clone(), file.clone());
            }
        };
        // `all` sorts first (depth 0), so one pass is all_inventory then groups_inventory,
        // and the next all_plugins_inventory then groups_plugins_inventory.
        for &(_, _, _, g) in &keyed {
            from_inventory(&mut vars, &mut origins, &self.groups[g].vars);
        }
        for &(_, _, _, g) in &keyed {
            from_files(&mut vars, &mut origins, &self.groups[g].file_vars);
        }
        from_inventory(&mut vars, &mut origins, &self.hosts[h].vars);
        from_files(&mut vars, &mut origins, &self.hosts[h].file_vars);
        (vars, origins)
    }

    /// `Group.get_hosts()`: the group's own hosts, then its descendants' level by level.
    pub fn group_hosts(&self, g: usize) -> Vec<usize> {
        // `_walk_relationship(preserve_ordering=True)`, with Python's sets replaced by
        // declaration order.
        let mut ordered = vec![g];
        ordered.extend(self.groups[g].children.iter().copied());
        let mut seen: HashSet<usize> = HashSet::new();
        let mut level: Vec<usize> = ordered.clone();
        while !level.is_empty() {
            seen.extend(level.iter().copied());
            let mut next = Vec::new();
            for &p in &level {
                for &c in &self.groups[p].children {
                    if !seen.contains(&c) {
                        ordered.push(c);
                        if !next.contains(&c) {
                            next.push(c);
                        }
                    }
                }
            }
            level = next;
        }
        let mut out = Vec::new();
        let mut have = HashSet::new();
        for grp in ordered {
            for &h in &self.groups[grp].hosts {
                if have.insert(h) {
                    out.push(h);
                }
            }
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Membership is a set kept in Ansible's order: adding a host to a group twice adds
    /// nothing; `reconcile` takes hosts that have a group out of `ungrouped` and leaves
    /// the rest; the relation reads the same from the group side and the host side.
    #[test]
    fn memberships_are_unique_ordered_and_reconciled() {
        let mut m = Model::new();
        let web = m.add_group("web");
        let a = m.add_host("a", UNGROUPED, None);
        let b = m.add_host("b", web, None);
        m.add_host("a", web, None);
        m.add_host("b", web, None);
        let c = m.add_host("c", UNGROUPED, None);
        m.add_host("a", UNGROUPED, None);
        assert_eq!(m.groups[web].hosts, vec![b, a]);
        assert_eq!(m.groups[UNGROUPED].hosts, vec![a, c]);
        m.reconcile().unwrap();
        assert_eq!(m.groups[UNGROUPED].hosts, vec![c]);
        assert_eq!(m.hosts[a].groups, vec![web]);
        assert_eq!(m.group_hosts(ALL), vec![c, b, a]);
        for (g, group) in m.groups.iter().enumerate() {
            for &h in &group.hosts {
                assert!(m.hosts[h].groups.contains(&g), "{h} in {g}");
            }
        }
        for (h, host) in m.hosts.iter().enumerate() {
            for &g in &host.groups {
                assert!(m.groups[g].hosts.contains(&h), "{h} in {g}");
            }
        }
    }

    /// A group as large as a host pattern may make (100,000 hosts) is built with one
    /// lookup per host; with a scan of the group per host this took minutes.
    #[test]
    fn a_group_of_the_largest_allowed_size_is_built() {
        let mut m = Model::new();
        let big = m.add_group("big");
        for i in 0..100_000 {
            m.add_host(&format!("h{i}"), big, None);
        }
        for i in (0..100_000).step_by(7) {
            m.add_host(&format!("h{i}"), big, None);
        }
        assert_eq!(m.groups[big].hosts.len(), 100_000);
        m.reconcile().unwrap();
        assert_eq!(m.group_hosts(ALL).len(), 100_000);
        assert!(m.groups[UNGROUPED].hosts.is_empty());
    }
}
