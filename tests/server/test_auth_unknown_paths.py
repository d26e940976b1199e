"""With authentication on, an unknown path is still a 404 (issue 12): a wrong token URL or
DICOMweb root must not look like bad credentials. Known paths still ask for credentials."""

from __future__ import annotations

import pytest
import requests
from dicomkit_server import ReferenceServer, ServerOAuth2


@pytest.mark.parametrize("auth", [("alice", "wonderland"), "oauth2"])
@pytest.mark.parametrize("path", ["/nothing/here", "/oauth/token", "/studies/1.2/nonsense"])
def test_unknown_path_is_404_without_credentials(auth, path):
    with ReferenceServer(auth=auth) as url:
        response = requests.get(f"{url}{path}", timeout=10)
    assert response.status_code == 404, response.text
    assert "WWW-Authenticate" not in response.headers


def test_unknown_path_below_a_prefix_is_404():
    with ReferenceServer(auth=("a", "b"), api_version="v1") as url:
        origin = url.rsplit("/v1", 1)[0]
        assert requests.get(f"{origin}/studies", timeout=10).status_code == 404
        assert requests.get(f"{url}/studies", timeout=10).status_code == 401


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_known_paths_still_need_credentials(method):
    oauth = ServerOAuth2()
    with ReferenceServer(auth=oauth) as url:
        response = requests.request(method, f"{url}/studies/1.2.3", timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert oauth.rejected == 1


def test_a_wrong_method_on_a_known_path_needs_credentials_first():
    with ReferenceServer(auth=("a", "b")) as url:
        anonymous = requests.put(f"{url}/studies", timeout=10)
        allowed = requests.put(f"{url}/studies", auth=("a", "b"), timeout=10)
    assert anonymous.status_code == 401
    assert allowed.status_code == 405
