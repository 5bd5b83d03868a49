//! PowerShell's `#< CLIXML` serialisation of the error stream, as powershell.exe writes it
//! to stderr when run non-interactively over WinRM (see the recorded
//! `get_ps_output_response.xml`).

/// Encodes text like PowerShell's CLIXML string serialiser: XML-escaped, with CR and LF
/// written as `_x000D_` / `_x000A_`.
fn clixml_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\r', "_x000D_")
        .replace('\n', "_x000A_")
}

/// An error record the way powershell.exe prints it: the invocation and message line, then
/// CategoryInfo and FullyQualifiedErrorId, each line its own `<S S="Error">` element.
#[derive(Debug, Clone)]
pub struct ErrorRecord {
    pub invocation: String,
    pub message: String,
    pub category: String,
    pub error_id: String,
}

impl ErrorRecord {
    pub fn write_error(statement: &str, message: &str) -> Self {
        ErrorRecord {
            invocation: statement.to_string(),
            message: message.to_string(),
            category: "NotSpecified: (:) [Write-Error], WriteErrorException".into(),
            error_id: "Microsoft.PowerShell.Commands.WriteErrorException".into(),
        }
    }

    pub fn not_recognized(name: &str) -> Self {
        ErrorRecord {
            invocation: name.to_string(),
            message: format!("The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again."),
            category: format!("ObjectNotFound: ({name}:String) [], CommandNotFoundException"),
            error_id: "CommandNotFoundException".into(),
        }
    }

    pub fn path_not_found(cmdlet: &str, path: &str) -> Self {
        ErrorRecord {
            invocation: cmdlet.to_string(),
            message: format!("Cannot find path '{path}' because it does not exist."),
            category: format!("ObjectNotFound: ({path}:String) [{cmdlet}], ItemNotFoundException"),
            error_id: format!(
                "PathNotFound,Microsoft.PowerShell.Commands.{}Command",
                cmdlet.replace('-', "")
            ),
        }
    }

    fn lines(&self) -> Vec<String> {
        vec![
            format!("{} : {}\r\n", self.invocation, self.message),
            format!("    + CategoryInfo          : {}\r\n", self.category),
            format!("    + FullyQualifiedErrorId : {}\r\n", self.error_id),
            " \r\n".to_string(),
        ]
    }
}

/// The complete stderr payload for a set of error records.
pub fn render(records: &[ErrorRecord]) -> Vec<u8> {
    if records.is_empty() {
        return Vec::new();
    }
    let mut s = String::from("#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">");
    for r in records {
        for line in r.lines() {
            s.push_str("<S S=\"Error\">");
            s.push_str(&clixml_text(&line));
            s.push_str("</S>");
        }
    }
    s.push_str("</Objs>");
    s.into_bytes()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn matches_recorded_shape() {
        let out = String::from_utf8(render(&[ErrorRecord::write_error(
            "Write-Error \"Error\"",
            "Error",
        )]))
        .unwrap();
        assert!(out.starts_with("#< CLIXML\r\n<Objs Version=\"1.1.0.1\""));
        assert!(out.contains("<S S=\"Error\">Write-Error \"Error\" : Error_x000D__x000A_</S>"));
        assert!(out.contains("WriteErrorException_x000D__x000A_</S>"));
    }
}
