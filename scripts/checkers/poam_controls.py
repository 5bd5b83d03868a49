"""Independent check of a package's POA&M controls against DISA's CCI list.

Usage: python poam_controls.py PACKAGE_DIR U_CCI_List.xml

Why: stigpack maps CCIs to NIST SP 800-53 Rev 5 controls with its own parser and a
generated table. This script shares none of that code: it reads the CCI list with
ElementTree, takes each rule's CCIs from the package's own checklists (02_Checklists/*.ckl,
not from poam.json), and checks that every POA&M item's controls are exactly the Rev 5
controls those CCIs map to, that every CCI without a Rev 5 mapping is reported in poam.json
and poam_summary.txt, and that the CSV's control column says the same. Prints "OK ..." and
exits 0, or prints each problem and exits 1.
"""

import csv
import glob
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://iase.disa.mil/cci}"
CONTROL = re.compile(r"^[A-Z]{2}-\d+( \(\d+\))?$")


def rev5_controls(xml_path):
    """CCI id -> set of controls/enhancements of its Rev 5 references; and the version."""
    root = ET.parse(xml_path).getroot()
    version = root.findtext(NS + "metadata/" + NS + "version")
    table = {}
    for item in root.iter(NS + "cci_item"):
        for ref in item.iter(NS + "reference"):
            if ref.get("title") != "NIST SP 800-53 Revision 5":
                continue
            words = ref.get("index", "").split()
            control = words[0]
            if len(words) > 1 and re.fullmatch(r"\(\d+\)", words[1]):
                control += " " + words[1]
            table.setdefault(item.get("id"), set()).add(control)
    return table, version


def rule_ccis(package):
    """(Vuln ID, Rule ID) -> set of CCIs, from the package's CKL checklists."""
    out = {}
    for path in glob.glob(os.path.join(package, "02_Checklists", "**", "*.ckl"), recursive=True):
        for vuln in ET.parse(path).getroot().iter("VULN"):
            data = {}
            for sd in vuln.findall("STIG_DATA"):
                attr = sd.findtext("VULN_ATTRIBUTE")
                data.setdefault(attr, []).append(sd.findtext("ATTRIBUTE_DATA") or "")
            key = ((data.get("Vuln_Num") or [""])[0], (data.get("Rule_ID") or [""])[0])
            out.setdefault(key, set()).update(c.strip() for c in data.get("CCI_REF", []) if c.strip())
    return out


def main(package, xml_path):
    table, version = rev5_controls(xml_path)
    ccis_of = rule_ccis(package)
    poam = json.load(open(os.path.join(package, "03_POAM", "poam.json"), encoding="utf-8"))
    summary = open(os.path.join(package, "03_POAM", "poam_summary.txt"), encoding="utf-8").read()
    problems = []
    if poam.get("cciListVersion") != version:
        problems.append("poam.json cciListVersion %r, the list says %r" % (poam.get("cciListVersion"), version))
    reported = {u["cci"]: u["vulnIds"] for u in poam.get("unmappedCcis", [])}
    unmapped_seen = set()
    checked = 0
    for item in poam["items"]:
        key = (item["vulnId"], item["ruleId"])
        if key not in ccis_of:
            problems.append("item %s: %s/%s is in no checklist" % (item["itemId"], key[0], key[1]))
            continue
        want = set()
        for cci in ccis_of[key]:
            if cci in table:
                want |= table[cci]
            else:
                unmapped_seen.add(cci)
                if item["controlId"] not in reported.get(cci, []):
                    problems.append("item %s: unmapped %s not reported in poam.json" % (item["itemId"], cci))
                if cci not in summary:
                    problems.append("unmapped %s not named in poam_summary.txt" % cci)
        got = item.get("controls", [])
        for c in got:
            if not CONTROL.match(c):
                problems.append("item %s: %r is not an 800-53 control" % (item["itemId"], c))
        if set(got) != want or len(got) != len(set(got)):
            problems.append("item %s (%s): controls %r, the CCI list maps %r" % (item["itemId"], key[0], got, sorted(want)))
        checked += 1
    for cci in reported:
        if cci in table:
            problems.append("%s reported unmapped but the list maps it to %r" % (cci, sorted(table[cci])))
    # The CSV's control column (whichever of the built-in headers the layout uses).
    with open(os.path.join(package, "03_POAM", "poam.csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    headers = ("Security Control Number (NC/NA controls only)", "Controls / APs")
    col = next((i for i, h in enumerate(rows[0]) if h in headers), None)
    if col is not None:
        for item, row in zip(poam["items"], rows[1:]):
            if row[col] != "; ".join(item.get("controls", [])):
                problems.append("poam.csv row of item %s: %r" % (item["itemId"], row[col]))
        if len(rows) - 1 != len(poam["items"]):
            problems.append("poam.csv has %d rows for %d items" % (len(rows) - 1, len(poam["items"])))
    for p in problems:
        print(p)
    if problems:
        return 1
    print("OK %d items, %d unmapped CCIs, list %s" % (checked, len(unmapped_seen), version))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
