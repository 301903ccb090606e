complete -c cast-redact -s e -l regex -d 'Hide matches of REGEX (Rust regex syntax; may be repeated)' -r
complete -c cast-redact -s p -l preset -d 'Hide a common kind of secret: github, aws, private-key, password, bearer, slack, or all (may be repeated; see --list-presets)' -r
complete -c cast-redact -s o -l output -d 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)' -r -F
complete -c cast-redact -l format -d 'Version to write [default: the input\'s; v1 is written as v2]' -r -f -a "v2\t''
v3\t''"
complete -c cast-redact -l compress -d 'Compress the output with gzip or zstd [default: by -o\'s name: .gz, .zst; with -i, as the file was]' -r -f -a "gzip\t''
zstd\t''"
complete -c cast-redact -l report -d 'List what was redacted on standard error: file, time, rule and event code (never the secret itself)'
complete -c cast-redact -l list-presets -d 'Print the presets with their patterns and exit'
complete -c cast-redact -s i -l in-place -d 'Rewrite each FILE in place, atomically; a bad file is reported and the others still run'
complete -c cast-redact -l line-buffered -d 'Flush after every event (the default when standard output is a terminal)'
complete -c cast-redact -l strict -d 'Treat a recording whose last line was cut off as an error, not a warning'
complete -c cast-redact -s q -l quiet -d 'Print no warnings (errors are still printed)'
complete -c cast-redact -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cast-redact -s V -l version -d 'Print version'
