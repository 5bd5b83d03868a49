//! Ansible's YAML inventory (`plugins/inventory/yaml.py`): top-level keys are groups,
//! each a mapping with `hosts`, `children` and `vars` in any order, children nested to any
//! depth. Where Ansible only warns and skips (a group that is not a mapping, an unknown
//! key in a group), stigpack refuses, so a typo cannot silently drop hosts.

use serde_json::{Map, Number, Value as Json};
use serde_yaml_ng::Value;

use super::ini::{check_group_name, expand_host_pattern};
use super::model::{Model, Var};

/// Reads a YAML inventory (already parsed) into `model`.
pub fn parse(doc: &Value, model: &mut Model) -> Result<(), String> {
    let Value::Mapping(top) = doc else {
        return Err("a YAML inventory must be a mapping of groups".into());
    };
    if top.get("plugin").is_some() {
        return Err(
            "this is an inventory plugin's configuration (it has `plugin:`), not an inventory; \
             run `ansible-inventory -i FILE --list --yaml > static.yml` and use that"
                .into(),
        );
    }
    for (name, data) in top {
        group(&key(name)?, data, model, 0)?;
    }
    Ok(())
}

fn key(k: &Value) -> Result<String, String> {
    match k {
        Value::String(s) => Ok(s.clone()),
        other => Err(format!(
            "{} is not a string; quote it",
            serde_yaml_ng::to_string(other).unwrap_or_default().trim()
        )),
    }
}

fn group(name: &str, data: &Value, model: &mut Model, depth: usize) -> Result<usize, String> {
    if depth > 64 {
        return Err(format!("group {name}: children nested too deep"));
    }
    check_group_name(name)?;
    let map = match data {
        Value::Null => None,
        Value::Mapping(m) => Some(m),
        _ => {
            return Err(format!(
                "group {name}: not a mapping (Ansible skips it with a warning; stigpack refuses)"
            ))
        }
    };
    let g = model.add_group(name);
    let Some(map) = map else { return Ok(g) };
    for (k, v) in map {
        let k = key(k).map_err(|e| format!("group {name}: key {e}"))?;
        // A section given as a single string means `{string: null}`.
        let single;
        let section = match v {
            Value::String(s) if matches!(k.as_str(), "hosts" | "children" | "vars") => {
                single =
                    serde_yaml_ng::Mapping::from_iter([(Value::String(s.clone()), Value::Null)]);
                Some(&single)
            }
            Value::Mapping(m) => Some(m),
            Value::Null => None,
            _ => {
                return Err(format!(
                    "group {name}: {k:?} must be a mapping, as Ansible requires"
                ))
            }
        };
        let Some(section) = section else { continue };
        match k.as_str() {
            "vars" => {
                for (var, value) in section {
                    let var = key(var).map_err(|e| format!("group {name}: variable {e}"))?;
                    model
                        .set_group_var(g, &var, to_var(value)?)
                        .map_err(|e| format!("group {name}: {e}"))?;
                }
            }
            "children" => {
                for (child, data) in section {
                    let child = key(child).map_err(|e| format!("group {name}: child {e}"))?;
                    let c = group(&child, data, model, depth + 1)?;
                    model.add_child(g, c)?;
                }
            }
            "hosts" => {
                for (pattern, vars) in section {
                    let pattern = key(pattern).map_err(|e| format!("group {name}: host {e}"))?;
                    let (names, port) = expand_host_pattern(&pattern)?;
                    let vars = match vars {
                        Value::Null => None,
                        Value::Mapping(m) => Some(m),
                        _ => {
                            return Err(format!("host {pattern}: its variables must be a mapping"))
                        }
                    };
                    for host in names {
                        let h = model.add_host(&host, g, port);
                        for (var, value) in vars.into_iter().flatten() {
                            let var = key(var).map_err(|e| format!("host {host}: variable {e}"))?;
                            model.set_host_var(h, &var, to_var(value)?);
                        }
                    }
                }
            }
            other => {
                return Err(format!(
                    "group {name}: unexpected key {other:?} (only hosts, children and vars; \
                     Ansible skips it with a warning, stigpack refuses)"
                ))
            }
        }
    }
    Ok(g)
}

/// A YAML value as Ansible keeps it; `!vault` and `!unsafe` are remembered.
pub(super) fn to_var(v: &Value) -> Result<Var, String> {
    if let Value::Tagged(t) = v {
        let tag = t.tag.to_string();
        return match tag.trim_start_matches('!') {
            "vault" => Ok(Var::Vault),
            "unsafe" => Ok(Var::Unsafe(to_json(&t.value)?)),
            _ => Err(format!("YAML tag {tag} is not one Ansible inventories use")),
        };
    }
    let j = to_json(v)?;
    match &j {
        Json::String(s) if s.starts_with("$ANSIBLE_VAULT;") => Ok(Var::Vault),
        _ => Ok(Var::Data(j)),
    }
}

fn to_json(v: &Value) -> Result<Json, String> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Json::from(i)
            } else if let Some(u) = n.as_u64() {
                Json::from(u)
            } else {
                n.as_f64()
                    .and_then(Number::from_f64)
                    .map_or_else(|| Json::String(n.to_string()), Json::Number)
            }
        }
        Value::String(s) => Json::String(s.clone()),
        Value::Sequence(s) => Json::Array(s.iter().map(to_json).collect::<Result<_, _>>()?),
        Value::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let k = match k {
                    Value::String(s) => s.clone(),
                    other => to_json(other)?.to_string(),
                };
                out.insert(k, to_json(v)?);
            }
            Json::Object(out)
        }
        Value::Tagged(t) => match to_var(v)? {
            Var::Data(j) | Var::Unsafe(j) => j,
            Var::Vault => {
                return Err(format!(
                    "a vault-encrypted value ({}) inside a list or mapping",
                    t.tag
                ))
            }
        },
    })
}
