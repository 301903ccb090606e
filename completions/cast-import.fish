complete -c cast-import -s t -l timing -d 'script\'s timing file (`script -T FILE`, `--log-timing FILE`)' -r -F
complete -c cast-import -l log-in -d 'script\'s input log, when it was written apart from the output (`--log-in FILE`) [default: the INPUT_LOG the timing file names, beside it]' -r -F
complete -c cast-import -l from -d 'The input\'s format [default: detected from the content]' -r -f -a "ttyrec\t''
script\t''"
complete -c cast-import -l cols -d 'Terminal width [default: from the recording, else 80]' -r
complete -c cast-import -l rows -d 'Terminal height [default: from the recording, else 24]' -r
complete -c cast-import -s o -l output -d 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)' -r -F
complete -c cast-import -l format -d 'Version to write [default: the input\'s; v1 is written as v2]' -r -f -a "v2\t''
v3\t''"
complete -c cast-import -l compress -d 'Compress the output with gzip or zstd [default: by -o\'s name: .gz, .zst; with -i, as the file was]' -r -f -a "gzip\t''
zstd\t''"
complete -c cast-import -l line-buffered -d 'Flush after every event (the default when standard output is a terminal)'
complete -c cast-import -l strict -d 'Treat a recording whose last line was cut off as an error, not a warning'
complete -c cast-import -s q -l quiet -d 'Print no warnings (errors are still printed)'
complete -c cast-import -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cast-import -s V -l version -d 'Print version'
