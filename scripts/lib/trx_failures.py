"""Prints each failed test of a TRX file with the first lines of its error message, so the end of
the test command's output says why a test failed, not only which."""
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
MAX_LINES = 8

root = ET.parse(sys.argv[1]).getroot()
for result in root.iterfind(".//t:UnitTestResult", NS):
    if result.get("outcome") not in ("Failed", "Error", "Timeout", "Aborted"):
        continue
    print(f"--- {result.get('testName')} ({result.get('outcome')}, {result.get('duration')})")
    message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=NS)
    stack = result.findtext("t:Output/t:ErrorInfo/t:StackTrace", default="", namespaces=NS)
    lines = message.strip().splitlines()
    for line in lines[:MAX_LINES]:
        print("    " + line[:400])
    if len(lines) > MAX_LINES:
        print(f"    ... {len(lines) - MAX_LINES} more lines")
    frames = [l.strip() for l in stack.splitlines() if "Sluice." in l]
    for frame in frames[:3]:
        print("    " + frame[:300])
