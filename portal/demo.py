"""Demo content of the portal for `seed_demo`: the home page and the policy library."""

from portal.demo_policies import POLICIES
from portal.models import PolicyDocumentPage
from portal.services import (
    policy_documents_sync,
    policy_index_ensure,
    site_home_ensure,
    wagtail_default_names_translate,
)

ORDER = 20


def seed(*, log) -> dict[str, int]:
    """Create or refresh the home page and the policy documents (published only when changed),
    and give Wagtail's English default rows Chinese names."""
    wagtail_default_names_translate()
    home = site_home_ensure()
    index = policy_index_ensure(home=home)
    policy_documents_sync(index=index, items=POLICIES)
    return {"policy documents": PolicyDocumentPage.objects.live().count()}
