"""Independent check of the Controls / APs column of a package's POA&M workbook.

Usage: python poam_workbook_controls.py PACKAGE_DIR U_CCI_List.xml [WORKBOOK.xlsx]

Why: eMASS attaches a POA&M item to the 800-53 controls its Controls / APs cell names, so
a wrong control files the weakness under the wrong control. This script shares no code
with stigpack: openpyxl reads the workbook (03_POAM/poam.xlsx, or WORKBOOK), ElementTree
reads DISA's CCI list (through poam_controls.rev5_controls) and each rule's CCIs from the
package's own checklists (02_Checklists/*.ckl). For every item row (a row with a POA&M
status below the header row) it checks that the row's Security Checks name rules of the
checklists, that its description starts with one of their Vuln IDs, and that every
Controls / APs value is a control the CCI list maps from those rules' CCIs, and that none
of those controls is left out. Prints "OK <rows> rows, <controls> controls, list
<version>" and exits 0, or prints each problem naming its cell and exits 1.
"""

import glob
import os
import sys
import warnings
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from poam_controls import rev5_controls  # noqa: E402  (same directory, stdlib only)

warnings.simplefilter("ignore")
import openpyxl  # noqa: E402

CONTROLS = ("Controls / APs", "Security Control Number (NC/NA controls only)")
STATUS = ("POA&M Status", "Status")


def rules(package):
    """Rule ID -> (Vuln ID, set of CCIs), from the package's CKL checklists."""
    out = {}
    for path in glob.glob(os.path.join(package, "02_Checklists", "**", "*.ckl"), recursive=True):
        for vuln in ET.parse(path).getroot().iter("VULN"):
            data = {}
            for sd in vuln.findall("STIG_DATA"):
                data.setdefault(sd.findtext("VULN_ATTRIBUTE"), []).append(sd.findtext("ATTRIBUTE_DATA") or "")
            rule = (data.get("Rule_ID") or [""])[0]
            vnum = (data.get("Vuln_Num") or [""])[0]
            ccis = {c.strip() for c in data.get("CCI_REF", []) if c.strip()}
            out.setdefault(rule, (vnum, set()))[1].update(ccis)
    return out


def header_row(ws):
    """(row number, {header text: column}) of the row holding "Security Checks"."""
    for r in range(1, 21):
        cells = {}
        for c in ws[r]:
            if isinstance(c.value, str):
                cells[c.value] = c.column  # the rightmost of equal headers wins
        if "Security Checks" in cells:
            return r, cells
    raise SystemExit("no header row with 'Security Checks' in the first 20 rows")


def main(package, xml_path, workbook=None):
    table, version = rev5_controls(xml_path)
    by_rule = rules(package)
    path = workbook or os.path.join(package, "03_POAM", "poam.xlsx")
    name = os.path.basename(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["POA&M"]
    hr, cols = header_row(ws)
    col = lambda names: next(cols[n] for n in names if n in cols)  # noqa: E731
    c_controls, c_status = col(CONTROLS), col(STATUS)
    c_checks, c_desc = cols["Security Checks"], cols["Control Vulnerability Description"]
    problems, rows, controls = [], 0, 0
    for r in range(hr + 1, ws.max_row + 1):
        if not ws.cell(r, c_status).value:
            continue
        rows += 1
        at = lambda c: "%s!%s%d" % (name, openpyxl.utils.get_column_letter(c), r)  # noqa: E731
        checks = [s.strip() for s in str(ws.cell(r, c_checks).value or "").split(";") if s.strip()]
        unknown = [s for s in checks if s not in by_rule]
        if not checks or unknown:
            problems.append("%s: Security Checks %r name no rule of the checklists" % (at(c_checks), unknown or checks))
            continue
        vulns = {by_rule[s][0] for s in checks}
        desc = str(ws.cell(r, c_desc).value or "")
        if desc.split(" ")[0] not in vulns:
            problems.append("%s: description starts %r, not a Vuln ID of %s" % (at(c_desc), desc[:20], checks))
        ccis = set().union(*(by_rule[s][1] for s in checks))
        want = set().union(set(), *(table.get(c, set()) for c in ccis))
        got = [s.strip() for s in str(ws.cell(r, c_controls).value or "").split(";") if s.strip()]
        for g in got:
            controls += 1
            if g not in want:
                problems.append(
                    "%s: %r is not a control the CCI list maps from %s's CCIs %s (it maps %s)"
                    % (at(c_controls), g, "; ".join(checks), sorted(ccis), sorted(want))
                )
        missing = sorted(want - set(got))
        if missing:
            problems.append("%s: controls %s of %s's CCIs are missing" % (at(c_controls), missing, "; ".join(checks)))
    if rows == 0:
        problems.append("%s: no item rows below header row %d" % (name, hr))
    for p in problems:
        print(p)
    if problems:
        return 1
    print("OK %d rows, %d controls, list %s" % (rows, controls, version))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
