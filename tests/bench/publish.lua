-- wrk script: POST a small JSON message with the admin key in $KEY.
wrk.method = "POST"
wrk.body = '{"symbol":"ACME","price":42.5}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("KEY")
