complete -c cast-merge-stderr -l color -d 'Show stderr in COLOR, then restore the attributes stdout had set: a name (red, green, yellow, blue, magenta, cyan, white, black, bright-red, ...), a 256-colour palette index 0-255, or #RRGGBB [default when given without a value: red]' -r
complete -c cast-merge-stderr -s o -l output -d 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)' -r -F
complete -c cast-merge-stderr -l format -d 'Version to write [default: the input\'s; v1 is written as v2]' -r -f -a "v2\t''
v3\t''"
complete -c cast-merge-stderr -l compress -d 'Compress the output with gzip or zstd [default: by -o\'s name: .gz, .zst; with -i, as the file was]' -r -f -a "gzip\t''
zstd\t''"
complete -c cast-merge-stderr -l drop -d 'Remove stderr instead: keep stdout only'
complete -c cast-merge-stderr -l only -d 'Keep stderr only: drop stdout\'s `o` events and turn `e` into `o` (input, resizes, markers and the exit status stay; --color still applies)'
complete -c cast-merge-stderr -s i -l in-place -d 'Rewrite each FILE in place, atomically; a bad file is reported and the others still run'
complete -c cast-merge-stderr -l line-buffered -d 'Flush after every event (the default when standard output is a terminal)'
complete -c cast-merge-stderr -l strict -d 'Treat a recording whose last line was cut off as an error, not a warning'
complete -c cast-merge-stderr -s q -l quiet -d 'Print no warnings (errors are still printed)'
complete -c cast-merge-stderr -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cast-merge-stderr -s V -l version -d 'Print version'
