complete -c cast-play -s s -l speed -d 'Playback speed: 2 is twice as fast' -r
complete -c cast-play -s i -l idle-time-limit -d 'Cut every pause to at most SECS [default: the header\'s idle_time_limit]' -r
complete -c cast-play -l from -d 'Start at T: SECONDS, M:SS(.frac), H:MM:SS(.frac) or marker:LABEL' -r
complete -c cast-play -l to -d 'Stop before T (same forms as --from)' -r
complete -c cast-play -s l -l loop -d 'Play again from the start when the end is reached, until q'
complete -c cast-play -s m -l pause-on-markers -d 'Pause at every marker (space resumes)'
complete -c cast-play -l strict -d 'Treat a recording whose last line was cut off as an error, not a warning'
complete -c cast-play -s q -l quiet -d 'Print no warnings (errors are still printed)'
complete -c cast-play -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cast-play -s V -l version -d 'Print version'
