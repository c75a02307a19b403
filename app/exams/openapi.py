"""OpenAPI 3 description of the terminal API (served at /api/v1/openapi.json)."""

_ERROR = {"type": "object", "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
    "code": {"type": "string"}, "message": {"type": "string", "description": "中文提示"}}}}}
_STATE = {"type": "object", "properties": {
    "attempt_id": {"type": "integer"}, "state": {"type": "string", "enum": ["answering", "paused", "submitted", "terminated"]},
    "server_time": {"type": "string", "format": "date-time"}, "deadline": {"type": "string", "format": "date-time"},
    "remaining_seconds": {"type": "integer"}, "answered": {"type": "integer"}, "total": {"type": "integer"},
    "candidate": {"type": "object"}, "item": {"type": "string"}, "room": {"type": "string"},
    "seat": {"type": "integer", "nullable": True}, "show_result": {"type": "boolean"}}}


def _errors(*codes):
    return {str(c): {"description": "错误", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            for c in codes}


def _ok(schema, description="成功"):
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}}


SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "考试终端与证书验证接口", "version": "1.0",
             "description": "理论考试终端使用的接口。登录返回每场考试的令牌，其余请求以 Authorization: Bearer 令牌 提交。"
                            "服务器时间为准；试卷中不含答案。"},
    "components": {
        "securitySchemes": {"attemptToken": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Error": _ERROR, "AttemptState": _STATE},
    },
    "paths": {
        "/api/v1/terminal/login": {"post": {
            "summary": "登录：开始或继续考试并绑定本终端",
            "parameters": [{"name": "X-Terminal-Id", "in": "header", "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["admission_no", "id_number"],
                "properties": {"admission_no": {"type": "string"}, "id_number": {"type": "string"}}}}}},
            "responses": {**_ok({"type": "object", "properties": {"token": {"type": "string"},
                                                                  "attempt": {"$ref": "#/components/schemas/AttemptState"}}}),
                          **_errors(400, 401, 403, 409, 429)}}},
        "/api/v1/attempt": {"get": {
            "summary": "试卷（考生的题序和选项顺序，不含答案）、已保存的答案和计时",
            "security": [{"attemptToken": []}],
            "responses": {**_ok({"type": "object"}), **_errors(401)}}},
        "/api/v1/attempt/answers/{position}": {"put": {
            "summary": "保存一道题的答案（幂等；较旧的 seq 不会覆盖较新的答案）",
            "security": [{"attemptToken": []}],
            "parameters": [{"name": "position", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["seq"], "properties": {
                    "answer": {"type": "string", "nullable": True, "description": "显示的字母，如 A、ACD；判断题为 T 或 F"},
                    "seq": {"type": "integer", "minimum": 1}, "flagged": {"type": "boolean"}}}}}},
            "responses": {**_ok({"type": "object", "properties": {"position": {"type": "integer"}, "seq": {"type": "integer"},
                                                                  "saved": {"type": "boolean"}, "state": {"type": "string"}}}),
                          **_errors(401, 404, 409, 422)}}},
        "/api/v1/attempt/heartbeat": {"post": {
            "summary": "心跳：服务器时间、截止时间和状态", "security": [{"attemptToken": []}],
            "responses": {**_ok({"$ref": "#/components/schemas/AttemptState"}), **_errors(401)}}},
        "/api/v1/certificates/verify": {"get": {
            "summary": "证书验证（供用人单位系统调用）：签名有效时返回证书当前状态和脱敏信息",
            "parameters": [{"name": "token", "in": "query", "required": True, "schema": {"type": "string"},
                            "description": "证书二维码网址 /v/ 之后的令牌"}],
            "responses": {**_ok({"type": "object", "required": ["valid", "status", "status_label"], "properties": {
                "valid": {"type": "boolean", "description": "false：无法验证（不说明原因）"},
                "status": {"type": "string"},
                "status_label": {"type": "string", "description": "有效、待复审、已过期、已撤销、已注销、已补发"},
                "name": {"type": "string", "description": "姓名（部分遮盖，如 张*明）"},
                "id_number": {"type": "string", "description": "身份证号码，仅显示前 4 位和后 4 位"},
                "number": {"type": "string"}, "item": {"type": "string"},
                "issued_on": {"type": "string"}, "valid_until": {"type": "string"}, "review_due": {"type": "string"},
                "last_review_on": {"type": "string"}, "authority": {"type": "string"}, "replaced_at": {"type": "string"},
                "revoked_on": {"type": "string"}, "cancelled_on": {"type": "string"}, "message": {"type": "string"}}}),
                          **_errors(429)}}},
        "/api/v1/attempt/submit": {"post": {
            "summary": "交卷（幂等，只评分一次）", "security": [{"attemptToken": []}],
            "responses": {**_ok({"type": "object"}), **_errors(401, 409)}}},
    },
}
