"""Cold start: the blocking client loads neither pydicom (nor NumPy) nor asyncio nor subprocess
for what does not need them: building a client, searching, uploading files, downloading to files.

Each check runs in a fresh interpreter against the reference server of this test process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from dicomkit.core._attributes import COMMON
from dicomkit.testing.data import make_study, write_instances

HEAVY = ("pydicom", "numpy", "asyncio", "subprocess")
LIGHT_BACKENDS = ["requests", "urllib3"]
"""httpx and aiohttp are built on asyncio (anyio), so only these two can stay without it."""


def _loaded_after(code: str) -> list[str]:
    script = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import json, sys
        print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_and_building_a_client_loads_nothing_heavy() -> None:
    assert _loaded_after("import dicomkit; dicomkit.DicomClient('http://x')") == []
    assert _loaded_after("from dicomkit import DicomClient; DicomClient('http://x')") == []
    assert _loaded_after("import dicomkit.core, dicomkit.core.operations") == []


@pytest.mark.parametrize("backend", LIGHT_BACKENDS)
def test_search_upload_and_download_to_files_load_nothing_heavy(
    dicomweb_server: Any, backend: str, tmp_path: Path
) -> None:
    study = make_study(3, n_series=1, patient_id="COLD-1")
    write_instances(tmp_path / "in", study)
    single = write_instances(tmp_path / "one", make_study(1, patient_id="COLD-2"))[0]
    code = f"""
        from dicomkit import DicomClient
        with DicomClient({dicomweb_server.url!r}, transport={backend!r}) as client:
            report = client.upload_dicom_folder({str(tmp_path / "in")!r})
            assert report.ok and len(report.stored) == 3, report
            assert client.upload_dicom_file({str(single)!r}).ok
            [study] = client.get_patient_study_ids("COLD-1")
            found = client.search_for_series(study, {{"Modality": "CT"}}, fields=["SeriesDate"])
            assert len(client.search_for_studies({{"StudyDate": "19000101-"}})) >= 0
            assert len(client.search_for_instances(study)) == 3
            written = client.download_dicom({str(tmp_path / "out")!r}, study)
            assert len(written) == 3, written
    """
    assert _loaded_after(code) == []


def test_the_common_attribute_table_agrees_with_pydicom() -> None:
    from pydicom.datadict import dictionary_VR, tag_for_keyword

    for keyword, (tag, vr) in COMMON.items():
        assert tag_for_keyword(keyword) == tag, keyword
        assert dictionary_VR(tag) == vr, keyword
