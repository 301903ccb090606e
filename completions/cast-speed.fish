complete -c cast-speed -s f -l factor -d 'Speed factor: 2 is twice as fast, 0.5 half as fast (give this or --duration, not both)' -r
complete -c cast-speed -l duration -d 'Make the recording (or the --from/--to range) last SECS (SECONDS, M:SS or H:MM:SS), instead of a --factor' -r
complete -c cast-speed -l from -d 'Start of the range to change: SECONDS, M:SS(.frac), H:MM:SS(.frac) or marker:LABEL [default: 0]' -r
complete -c cast-speed -l to -d 'End of the range to change (exclusive), same forms as --from [default: the end]' -r
complete -c cast-speed -s o -l output -d 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)' -r -F
complete -c cast-speed -l format -d 'Version to write [default: the input\'s; v1 is written as v2]' -r -f -a "v2\t''
v3\t''"
complete -c cast-speed -l compress -d 'Compress the output with gzip or zstd [default: by -o\'s name: .gz, .zst; with -i, as the file was]' -r -f -a "gzip\t''
zstd\t''"
complete -c cast-speed -s i -l in-place -d 'Rewrite each FILE in place, atomically; a bad file is reported and the others still run'
complete -c cast-speed -l line-buffered -d 'Flush after every event (the default when standard output is a terminal)'
complete -c cast-speed -l strict -d 'Treat a recording whose last line was cut off as an error, not a warning'
complete -c cast-speed -s q -l quiet -d 'Print no warnings (errors are still printed)'
complete -c cast-speed -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cast-speed -s V -l version -d 'Print version'
