//! The two components every package needs, `import` and `emass`: the built-in ones, or
//! the outside ones the operator admitted for their role, each with its limits; and how
//! one of them is run.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;

use super::super::thirdparty::ThirdParty;
use super::{Inputs, Settings};
use crate::pipeline;
use crate::sandbox::{Limits, LoadedComponent, RunRecord, RunRequest, Sandbox};
use crate::trust::Role;

/// A loaded component with the limits it runs under.
#[derive(Debug)]
pub struct Loaded {
    pub component: LoadedComponent,
    pub limits: Limits,
}

/// The components of a build and what runs them.
#[derive(Debug)]
pub struct Components<'a> {
    pub sandbox: &'a Sandbox,
    settings: &'a Settings,
    pub import: Loaded,
    pub emass: Loaded,
    outside: &'a [ThirdParty],
}

impl<'a> Components<'a> {
    /// Loads `import` and `emass`: an admitted outside component for the role if there
    /// is one, the built-in otherwise.
    pub fn load(
        sandbox: &'a Sandbox,
        limits: &Limits,
        inputs: &'a Inputs,
        settings: &'a Settings,
    ) -> anyhow::Result<Components<'a>> {
        let outside = inputs.components.as_slice();
        let load = |role: Role| -> anyhow::Result<Loaded> {
            Ok(match outside_for(outside, role) {
                Some(tp) => Loaded {
                    component: sandbox.load(&tp.source)?,
                    limits: tp.limits(limits),
                },
                None => Loaded {
                    component: pipeline::builtin(sandbox, role.as_str())?,
                    limits: limits.clone(),
                },
            })
        };
        let import = load(Role::Import)?;
        let emass = load(Role::Emass)?;
        Ok(Components {
            sandbox,
            settings,
            import,
            emass,
            outside,
        })
    }

    /// Whether `role` is filled by an outside component.
    pub fn is_outside(&self, role: Role) -> bool {
        outside_for(self.outside, role).is_some()
    }

    /// Runs `c` on `input` into `output` with `options`, at the build's export time.
    pub fn run(
        &self,
        c: &Loaded,
        input: &Path,
        output: &Path,
        options: &BTreeMap<String, String>,
    ) -> anyhow::Result<RunRecord> {
        self.sandbox
            .run(
                &c.component,
                &RunRequest {
                    input_dir: input,
                    output_dir: output,
                    exported_at: self.settings.exported_at,
                    options: options.clone(),
                    limits: c.limits.clone(),
                },
            )
            .with_context(|| format!("component {}", c.component.name))
    }
}

fn outside_for(outside: &[ThirdParty], role: Role) -> Option<&ThirdParty> {
    outside.iter().find(|c| c.role == role)
}
