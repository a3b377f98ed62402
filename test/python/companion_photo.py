"""The companion-photo scenario through a client generated from darkroom's OpenAPI document.

Usage: companion_photo.py BASE_URL API_KEY OUT_FILE (the generated package must be importable).
Prints one JSON line: the waiting message, the final status and the image's size.
"""
import json
import sys
import time

from darkroom_client import AuthenticatedClient
from darkroom_client.api.companion_photos import create_reply
from darkroom_client.api.generations import get_generation
from darkroom_client.api.images import get_image
from darkroom_client.models import CreateReplyBody, CreateReplyBodyPersona, Error, Generation, GenerationStatus, Reply

base_url, api_key, out_file = sys.argv[1:4]
client = AuthenticatedClient(base_url=base_url, token=api_key, raise_on_unexpected_status=False)

reply = create_reply.sync(
    agent_id="sofia",
    client=client,
    body=CreateReplyBody(
        user_id="python-u1",
        text="¡Dale! [IMAGE: selfie mía en la playa al atardecer]",
        persona=CreateReplyBodyPersona(name="Sofia", personality="alegre y divertida"),
    ),
)
assert isinstance(reply, Reply), reply
waiting = [m.content for m in reply.messages if m.kind == "waiting"]
generation_id = reply.generations[0].id

# Poll the generation until it is finished (the polling fallback a chat backend without SSE uses).
deadline = time.monotonic() + 120
while True:
    generation = get_generation.sync(id=generation_id, client=client)
    assert isinstance(generation, Generation), generation
    if generation.status in (GenerationStatus.COMPLETED, GenerationStatus.FAILED, GenerationStatus.CANCELLED):
        break
    if time.monotonic() > deadline:
        raise SystemExit(f"generation {generation_id} still {generation.status} after 120 s")
    time.sleep(0.2)

size = 0
if generation.status == GenerationStatus.COMPLETED:
    image = generation.images[0]
    response = get_image.sync_detailed(image_id=image.id, client=client)
    assert response.status_code == 200 and not isinstance(response.parsed, Error), response.status_code
    with open(out_file, "wb") as f:
        f.write(response.content)
    size = len(response.content)

print(json.dumps({"waiting": waiting, "status": generation.status.value, "bytes": size, "width": generation.images[0].width if generation.images else None}))
