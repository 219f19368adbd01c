"""The OpenAPI 3.1 description of the service, written by hand (a test keeps it in step
with the routes)."""

from __future__ import annotations

from functools import cache
from typing import Any

from .. import __version__

_OBJ = {"type": "object"}
_NAME = {"type": "string", "minLength": 1, "maxLength": 200}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": _NAME,
            "description": description}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {400: "Invalid body or parameter; `field` names it", 401: "Missing or wrong token",
            404: "Unknown project, proxy, policy or environment",
            409: "Conflict (existing name, inactive policy, refused reload)",
            413: "Body over the configured limit", 501: "Gateway runtime not installed",
            503: "Deployed, but cannot run with the current key set"}
    return {str(s): _json(_ref("Error"), text[s]) for s in statuses}


_PROJECT = _path_param("projectName", "Project name (created by its first policy)")
_PROXY = _path_param("apiProxyName", "API proxy name (created by its first policy)")
_POLICY = _path_param("policyName", "Policy name, unique within the proxy")
_ENV = _path_param("environmentName", "A configured environment (--environments)")
_AUTH: list[dict[str, list[str]]] = [{"bearer": []}]

_SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["success", "code", "message", "field"],
              "properties": {"success": {"const": False}, "code": {"type": "string"},
                             "message": {"type": "string"},
                             "field": {"type": ["string", "null"],
                                       "description": "JSON path of the field at fault"}}},
    "OperationMetadata": {
        "type": "object", "required": ["targetScope", "targetPipeline"],
        "properties": {
            "targetScope": {"enum": ["ALL", "ENDPOINT"]},
            "targetEndpoint": {"type": ["string", "null"]},
            "targetEndpointHTTPMethod": {
                "enum": ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", None]},
            "targetPipeline": {"enum": ["REQUEST", "RESPONSE", "ERROR"]},
            "deploy": {"type": "boolean", "default": True},
            "deployTargetEnvironmentNameList": {
                "type": "array", "items": {"type": "string"},
                "description": "Empty with deploy true: every configured environment"},
            "order": {"type": ["integer", "null"], "minimum": 1,
                      "description": "1-based position in the pipeline; absent appends"}}},
    "Policy": {"type": "object", "required": ["type"],
               "description": "The seed's policy-jose-implementation object",
               "properties": {"type": {"const": "policy-jose-implementation"}},
               "additionalProperties": True},
    "ChangeBody": {"type": "object", "required": ["operationMetadata", "policy"],
                   "properties": {"operationMetadata": _ref("OperationMetadata"),
                                  "policy": _ref("Policy")}},
    "DeleteBody": {"type": "object",
                   "properties": {"operationMetadata": _ref("OperationMetadata")}},
    "DeploymentResponse": {
        "type": "object", "required": ["success", "deploymentResult"],
        "properties": {
            "success": {"type": "boolean"},
            "deploymentResult": {
                "type": "object", "properties": {
                    "success": {"type": "boolean"},
                    "deploymentResults": {"type": "array", "items": {
                        "type": "object",
                        "required": ["environmentName", "success", "message"],
                        "properties": {"environmentName": {"type": "string"},
                                       "success": {"type": "boolean"},
                                       "message": {"type": "string"},
                                       "code": {"type": "string"},
                                       "field": {"type": ["string", "null"]}}}}}},
            "warnings": {"type": "array", "items": {"type": "string"}}}},
    "PolicyLists": {"type": "object", "properties": {
        "requestPolicyList": {"type": "array", "items": _ref("Policy")},
        "responsePolicyList": {"type": "array", "items": _ref("Policy")},
        "errorPolicyList": {"type": "array", "items": _ref("Policy")}}},
    "ListResponse": {
        "type": "object", "required": ["success", "resultList", "resultCount"],
        "properties": {
            "success": {"const": True}, "resultCount": {"type": "integer"},
            "resultList": {"type": "array", "items": {
                "type": "object", "properties": {"apiProxy": {"allOf": [
                    _ref("PolicyLists"),
                    {"type": "object", "properties": {
                        "name": {"type": "string"},
                        "endpointList": {"type": "array", "items": {"allOf": [
                            _ref("PolicyLists"),
                            {"type": "object", "properties": {
                                "path": {"type": "string"},
                                "httpMethod": {"type": "string"}}}]}}}}]}}}}}},
    "TokenRequest": {"type": "object", "properties": {
        "data": {"description": "Raw data, as the parsed JSON value"},
        "credential": {"type": "string", "description": "Issuer credential name"}}},
    "TokenResponse": {"type": "object", "required": ["success", "token"],
                      "properties": {"success": {"const": True},
                                     "token": {"type": "string"}}},
    "Message": {"type": "object", "description": "Gateway message: method, path, "
                "pathParams, query, headers, form, body, contentType, variables, context"},
    "ApplyResponse": {"type": "object", "properties": {
        "success": {"const": True}, "pipeline": {"type": "string"},
        "appliedPolicies": {"type": "array", "items": {"type": "string"}},
        "message": _ref("Message")}},
}


def _change(summary: str, body: str) -> dict[str, Any]:
    return {"summary": summary, "security": _AUTH, "parameters": [_PROJECT, _PROXY, _POLICY],
            "requestBody": {"required": body != "DeleteBody",
                            "content": {"application/json": {"schema": _ref(body)}}},
            "responses": {"200": _json(_ref("DeploymentResponse"), "Stored; per-environment "
                                       "deployment results"),
                          **_errors(400, 401, 404, 409, 413)}}


@cache
def openapi_document() -> dict[str, Any]:
    policies = "/apiops/projects/{projectName}/apiProxies/{apiProxyName}/policies/"
    runtime = "/runtime/{environmentName}/projects/{projectName}/apiProxies/{apiProxyName}"
    return {
        "openapi": "3.1.0",
        "info": {"title": "jose-engine service", "version": __version__,
                 "description": "Management API for policy-jose-implementation and a token "
                              "endpoint. Paths under /apiops also answer without the "
                              "trailing slash."},
        "components": {"schemas": _SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            policies: {"get": {
                "summary": "List the policies of an API proxy", "security": _AUTH,
                "parameters": [_PROJECT, _PROXY],
                "responses": {"200": _json(_ref("ListResponse"), "The proxy's pipelines"),
                              **_errors(401, 404)}}},
            policies + "{policyName}/": {
                "post": _change("Add a policy", "ChangeBody"),
                "put": _change("Update a policy (full body)", "ChangeBody"),
                "delete": _change("Delete a policy", "DeleteBody")},
            runtime + "/policies/{policyName}/tokens": {"post": {
                "summary": "Mint a token with the version deployed in the environment",
                "security": _AUTH, "parameters": [_ENV, _PROJECT, _PROXY, _POLICY],
                "requestBody": {"required": False, "content": {
                    "application/json": {"schema": _ref("TokenRequest")}}},
                "responses": {"200": _json(_ref("TokenResponse"), "The compact token"),
                              **_errors(400, 401, 404, 409, 413, 503)}}},
            runtime + "/apply": {"post": {
                "summary": "Run the deployed pipeline's active policies on a message",
                "security": _AUTH, "parameters": [
                    _ENV, _PROJECT, _PROXY,
                    {"name": "pipeline", "in": "query", "required": False,
                     "schema": {"enum": ["REQUEST", "RESPONSE", "ERROR"],
                                "default": "REQUEST"}}],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": _ref("Message")}}},
                "responses": {"200": _json(_ref("ApplyResponse"), "The message after the "
                                           "pipeline"),
                              **_errors(400, 401, 404, 413, 501, 503)}}},
            "/admin/reload": {"post": {
                "summary": "Re-read the key file and recompile deployments (all or nothing)",
                "security": _AUTH,
                "responses": {"200": _json(_OBJ, "Reloaded"), **_errors(401, 409)}}},
            "/.well-known/jwks.json": {"get": {
                "summary": "Public halves of the asymmetric keys",
                "responses": {"200": {"description": "JWKS", "content": {
                    "application/jwk-set+json": {"schema": _OBJ}}}}}},
            "/healthz": {"get": {"summary": "Liveness and database check",
                                 "responses": {"200": _json(_OBJ, "Healthy")}}},
            "/metrics": {"get": {"summary": "Prometheus metrics of this process",
                                 "responses": {"200": {"description": "Prometheus text",
                                                       "content": {"text/plain": {}}}}}},
            "/openapi.json": {"get": {"summary": "This document",
                                      "responses": {"200": _json(_OBJ, "OpenAPI 3.1")}}},
        },
    }
