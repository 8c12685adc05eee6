"""Fill unfinished entries of a Qt .ts file from a JSON dictionary {source: translation}.

    pyside6-lupdate app/*.py -ts pos/resources/translations/memberpos_zh_CN.ts -no-obsolete
    python tools/ts_fill.py pos/resources/translations/memberpos_zh_CN.ts pos/resources/translations/zh_CN.json
    pyside6-lrelease pos/resources/translations/memberpos_zh_CN.ts -qm pos/resources/translations/memberpos_zh_CN.qm

The JSON keeps translations reviewable in one place; lupdate keeps the .ts in step
with the code. Plural sources (%n) take a list of forms."""
from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET


def main(ts_path: str, dict_path: str) -> int:
    table = json.load(open(dict_path, encoding="utf-8"))
    tree = ET.parse(ts_path)
    missing = []
    for msg in tree.iter("message"):
        src = msg.findtext("source")
        tr = msg.find("translation")
        if src in table:
            value = table[src]
            tr.attrib.pop("type", None)
            if msg.get("numerus") == "yes":
                for child in list(tr):
                    tr.remove(child)
                for form in value if isinstance(value, list) else [value]:
                    ET.SubElement(tr, "numerusform").text = form
            else:
                tr.text = value
        elif tr.get("type") == "unfinished":
            missing.append(src)
    tree.write(ts_path, encoding="utf-8", xml_declaration=True)
    for m in missing:
        print("untranslated:", repr(m))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
