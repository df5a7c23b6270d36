"""The shared manifest corpus (test/fixtures/manifests/, written by scripts/make-manifest-corpus.ts):
every case through dlth.parse_manifest to the outcome cases.json records, which the TypeScript
reader reaches too (test/shards/manifest-corpus.test.ts); and the schema the package validates
with is the repository's schemas/manifest.schema.json."""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from dlth import ManifestError, parse_manifest
from dlth.manifest import SCHEMA, SCHEMA_FILE

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "test" / "fixtures" / "manifests"
CASES = json.loads((CORPUS / "cases.json").read_text("utf-8"))["cases"]


def test_the_corpus_has_both_outcomes():
    outcomes = [c["outcome"] for c in CASES]
    assert outcomes.count("accept") >= 4 and outcomes.count("reject") >= 40
    assert sorted(c["file"] for c in CASES) == sorted(p.name for p in CORPUS.iterdir() if p.name != "cases.json")


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_a_corpus_case_is_accepted_or_rejected_as_recorded(case):
    data = (CORPUS / case["file"]).read_bytes()
    if case["outcome"] == "accept":
        m = parse_manifest(data, case["file"])
        assert m.rows == sum(s.rows for s in m.shards)
        return
    with pytest.raises(ManifestError) as err:
        parse_manifest(data, case["file"])
    assert err.value.file == case["file"]
    if case["path"] is not None:
        assert f"{case['path']}:" in err.value.reason, case["why"]


def test_the_packaged_schema_is_the_repository_schema():
    packaged = resources.files("dlth").joinpath(SCHEMA_FILE).read_bytes()
    assert packaged == (ROOT / "schemas" / SCHEMA_FILE).read_bytes(), \
        f"copy schemas/{SCHEMA_FILE} to python/dlth/{SCHEMA_FILE} (the package validates with its own copy)"
    assert SCHEMA == json.loads(packaged)
