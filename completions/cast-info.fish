complete -c cast-info -s g -l glob -d 'With -r, take files matching GLOB [default: *.cast, *.json, *.cast.gz, *.cast.zst]' -r
complete -c cast-info -s j -l threads -d 'Read N recordings at a time [default: one per CPU]' -r
complete -c cast-info -l idle -d 'Pauses longer than SECS count as idle time (SECONDS, M:SS or H:MM:SS)' -r
complete -c cast-info -s r -l recursive -d 'Search directories among the FILEs recursively (the current directory when there are none); hidden files and directories are skipped'
complete -c cast-info -l json -d 'Write one JSON object per recording (JSON lines); an unreadable one gets {"file": ..., "error": ...}'
complete -c cast-info -l strict -d 'Treat a recording whose last line was cut off as an error, not a warning'
complete -c cast-info -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cast-info -s V -l version -d 'Print version'
