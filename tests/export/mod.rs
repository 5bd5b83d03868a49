//! Exports from a results tree: export-ckl, Evaluate-STIG folders, benchmarks, fleet-summary and its HTML report.

mod benchmark_beside_results;
mod benchmark_file_name;
mod evaluate_stig_folder;
mod export_ckl;
mod fleet_summary;
mod report_browser;
