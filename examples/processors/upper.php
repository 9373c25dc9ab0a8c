#!/usr/bin/env php
<?php
// Asynchronio stdio processor in PHP: upper-cases text messages.
// One JSON request per line on stdin, one JSON answer per line on stdout.
while (($line = fgets(STDIN)) !== false) {
    $request = json_decode($line, true);
    if (!is_array($request) || !isset($request['id'])) {
        fwrite(STDERR, "not a request: $line");
        continue;
    }
    $data = $request['data'];
    if (is_string($data)) {
        $answer = ['id' => $request['id'], 'out' => [['data' => strtoupper($data)]]];
    } else {
        $answer = ['id' => $request['id'], 'error' => 'expected a string'];
    }
    fwrite(STDOUT, json_encode($answer) . "\n");
    fflush(STDOUT);
}
