complete -c cast-cut -l from -d 'Keep from T on (SECONDS, M:SS(.frac), H:MM:SS(.frac) or marker:LABEL) [default: the start]' -r
complete -c cast-cut -l to -d 'Keep up to T, not including T (same forms as --from) [default: the end]' -r
complete -c cast-cut -l remove -d 'Remove the range A-B (A included, B not), e.g. 12-47.5, 1:00-1:30, marker:a-marker:b; may be repeated' -r
complete -c cast-cut -s o -l output -d 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)' -r -F
complete -c cast-cut -l format -d 'Version to write [default: the input\'s; v1 is written as v2]' -r -f -a "v2\t''
v3\t''"
complete -c cast-cut -l compress -d 'Compress the output with gzip or zstd [default: by -o\'s name: .gz, .zst; with -i, as the file was]' -r -f -a "gzip\t''
zstd\t''"
complete -c cast-cut -l no-repaint -d 'Do not repaint the terminal at the seams (a plain cut; resizes still take effect)'
complete -c cast-cut -s i -l in-place -d 'Rewrite each FILE in place, atomically; a bad file is reported and the others still run'
complete -c cast-cut -l line-buffered -d 'Flush after every event (the default when standard output is a terminal)'
complete -c cast-cut -l strict -d 'Treat a recording whose last line was cut off as an error, not a warning'
complete -c cast-cut -s q -l quiet -d 'Print no warnings (errors are still printed)'
complete -c cast-cut -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cast-cut -s V -l version -d 'Print version'
