from dicomkit.testing._orthanc_fixtures import (  # noqa: F401  (fixtures, see docs/orthanc.md)
    orthanc,
    orthanc_server,
    orthanc_server_with_auth,
    orthanc_with_auth,
)
from dicomkit.testing._profiles import register_profiles

register_profiles()
