//! Generates `src/cci/rev5.tsv`, the compiled-in CCI -> 800-53 Rev 5 table, from DISA's
//! `U_CCI_List.xml`: `cargo run -p stig-formats --example cci_table -- U_CCI_List.xml >
//! components/stig-formats/src/cci/rev5.tsv`. The test `builtin_table_is_generated_from_the_shared_list`
//! checks that the committed table is byte for byte this program's output.

use std::io::Write;

fn main() -> std::process::ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: cci_table U_CCI_List.xml > rev5.tsv");
        return std::process::ExitCode::from(2);
    };
    let name = std::path::Path::new(&path).display().to_string();
    let table = std::fs::read(&path)
        .map_err(|e| format!("{name}: {e}"))
        .and_then(|b| stig_formats::cci::CciTable::from_xml(&name, &b).map_err(|e| e.to_string()));
    match table {
        Ok(t) => {
            if std::io::stdout().write_all(t.to_tsv().as_bytes()).is_err() {
                return std::process::ExitCode::FAILURE;
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}
