complete -c cast-idle -s l -l limit -d 'Longest pause to keep, as SECONDS, M:SS or H:MM:SS [default: the header\'s idle_time_limit]' -r
complete -c cast-idle -s o -l output -d 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)' -r -F
complete -c cast-idle -l format -d 'Version to write [default: the input\'s; v1 is written as v2]' -r -f -a "v2\t''
v3\t''"
complete -c cast-idle -l compress -d 'Compress the output with gzip or zstd [default: by -o\'s name: .gz, .zst; with -i, as the file was]' -r -f -a "gzip\t''
zstd\t''"
complete -c cast-idle -l header-only -d 'Only write the limit into the header\'s idle_time_limit (players apply it); leave times alone'
complete -c cast-idle -s i -l in-place -d 'Rewrite each FILE in place, atomically; a bad file is reported and the others still run'
complete -c cast-idle -l line-buffered -d 'Flush after every event (the default when standard output is a terminal)'
complete -c cast-idle -l strict -d 'Treat a recording whose last line was cut off as an error, not a warning'
complete -c cast-idle -s q -l quiet -d 'Print no warnings (errors are still printed)'
complete -c cast-idle -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cast-idle -s V -l version -d 'Print version'
