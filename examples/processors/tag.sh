#!/bin/sh
# Asynchronio stdio processor in plain shell: forwards each message wrapped
# with the time it was seen. No jq needed: the request line ends with
# "data":<json>}, so the data is everything after the first "data":.
while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed 's/^{"id":"\([^"]*\)".*/\1/')
  data=${line#*\"data\":}
  data=${data%\}}
  printf '{"id":"%s","out":[{"data":{"seen_at":%s,"original":%s}}]}\n' "$id" "$(date +%s)" "$data"
done
