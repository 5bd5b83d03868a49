//! The eMASS package: export-emass, the POA&M workbook, validate, reproduce, signing, and the byte-identity guard of refactorings.

mod byte_identity;
mod emass;
mod poam_workbook;
mod reproducible;
mod signing;
