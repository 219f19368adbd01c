"""A JSON backend whose responses leave as signed JWTs.

    uvicorn examples.asgi_app:app
    curl -s localhost:8000/orders/42 | python examples/verify.py examples/keys.json

The policy is the seed's "Basic JWT Generation" example (RESPONSE pipeline, joseTarget
BODY, output BODY): the backend's JSON object becomes the token's claims, next to the
claims the policy sets, and the response body is replaced by the token.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jose_engine import compile_policy
from jose_engine.runtime import Context, JoseMiddleware

HERE = Path(__file__).resolve().parent
compiled = compile_policy(HERE / "policies" / "basic-jwt.json", HERE / "keys.json")


async def order(request: Request) -> JSONResponse:
    order_id = request.path_params["order_id"]
    return JSONResponse({"orderId": order_id, "status": "shipped", "total": 99.5,
                         # A backend cannot choose its own issuer: the policy's wins.
                         "iss": "https://backend.invalid"})


app = Starlette(
    routes=[Route("/orders/{order_id:int}", order)],
    middleware=[Middleware(JoseMiddleware, compiled=compiled,
                           context=Context(environment_name="production",
                                           api_proxy_name="MyAPI"))],
)
