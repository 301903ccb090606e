complete -c cast-to-txt -s o -l output -d 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)' -r -F
complete -c cast-to-txt -s d -l out-dir -d 'Convert every recording into OUTDIR/NAME.txt, in parallel' -r -F
complete -c cast-to-txt -s g -l glob -d 'With -r, take files matching GLOB [default: *.cast, *.json, *.cast.gz, *.cast.zst]' -r
complete -c cast-to-txt -s j -l threads -d 'Read N recordings at a time [default: one per CPU]' -r
complete -c cast-to-txt -l alt-screen -d 'Full-screen programs (vim, less, htop): `snapshot` writes their last screen once per visit between marker lines; `skip` leaves them out' -r -f -a "snapshot\t''
skip\t''"
complete -c cast-to-txt -l at -d 'Only the screen at time T (SECONDS, M:SS, H:MM:SS or marker:LABEL)' -r
complete -c cast-to-txt -l stderr -d 'What to do with stderr (`e`) events: merge them in order, leave them out, or keep only them' -r -f -a "include\t''
exclude\t''
only\t''"
complete -c cast-to-txt -s r -l recursive -d 'Search directories among the FILEs recursively (the current directory when there are none); hidden files and directories are skipped'
complete -c cast-to-txt -l raw -d 'No terminal emulation: the output stream with escape sequences removed and CRLF turned into LF (fast, for logs)'
complete -c cast-to-txt -l screen -d 'Only the final screen'
complete -c cast-to-txt -l timestamps -d 'Prefix each line with the time it appeared, as [H:MM:SS.mmm]'
complete -c cast-to-txt -l strict -d 'Treat a recording whose last line was cut off as an error, not a warning'
complete -c cast-to-txt -s q -l quiet -d 'Print no warnings (errors are still printed)'
complete -c cast-to-txt -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cast-to-txt -s V -l version -d 'Print version'
