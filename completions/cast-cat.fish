complete -c cast-cat -l gap -d 'Pause between one recording\'s last event and the next one\'s start, as SECONDS, M:SS or H:MM:SS' -r
complete -c cast-cat -l title -d 'Title of the joined recording [default: the first input\'s]' -r
complete -c cast-cat -s o -l output -d 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)' -r -F
complete -c cast-cat -l format -d 'Version to write [default: the input\'s; v1 is written as v2]' -r -f -a "v2\t''
v3\t''"
complete -c cast-cat -l compress -d 'Compress the output with gzip or zstd [default: by -o\'s name: .gz, .zst; with -i, as the file was]' -r -f -a "gzip\t''
zstd\t''"
complete -c cast-cat -l line-buffered -d 'Flush after every event (the default when standard output is a terminal)'
complete -c cast-cat -l strict -d 'Treat a recording whose last line was cut off as an error, not a warning'
complete -c cast-cat -s q -l quiet -d 'Print no warnings (errors are still printed)'
complete -c cast-cat -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cast-cat -s V -l version -d 'Print version'
