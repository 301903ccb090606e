complete -c cast-rec -s c -l command -d 'Command to record, run with /bin/sh -c [default: $SHELL, else /bin/sh]' -r
complete -c cast-rec -l stderr-order -d 'How --stderr keeps the order of stdout and stderr' -r -f -a "exact\t'Hold every write, whatever the descriptor (exact, also for `exec 3>&2; echo x >&3`)'
std\t'Hold only writes to descriptors 0-2: cheaper for programs that write much to files, but writes through other descriptors may land out of order'
off\t'Hold nothing: no filter, no no_new_privs; the streams may be recorded out of order'"
complete -c cast-rec -l marker-label -d 'Label of markers inserted with SIGUSR1 or Ctrl-] m' -r
complete -c cast-rec -s t -l title -d 'Title for the header' -r
complete -c cast-rec -l idle-time-limit -d 'Idle time limit for players, in the header (SECONDS, M:SS or H:MM:SS)' -r
complete -c cast-rec -l env -d 'Environment variables to save in the header, comma-separated' -r
complete -c cast-rec -l format -d 'Version to write (v2 has the widest player support); --append keeps the file\'s' -r -f -a "v2\t''
v3\t''"
complete -c cast-rec -l cols -d 'Width of the pty, at most 4096 [default: the terminal\'s, else 80]' -r
complete -c cast-rec -l rows -d 'Height of the pty, at most 4096, and at most 1048576 cells with --cols [default: the terminal\'s, else 24]' -r
complete -c cast-rec -l script -d 'Play a VHS tape into the shell instead of reading keys: headless, typed at the tape\'s TypingSpeed, recorded until the tape ends (see TAPES in the manual)' -r -F
complete -c cast-rec -l stderr -d 'Record the program\'s stderr apart, as e events; it still sees a terminal on fd 2'
complete -c cast-rec -s I -l capture-input -d 'Record keystrokes as i events (off by default: passwords)'
complete -c cast-rec -l no-marker-key -d 'Do not treat Ctrl-] specially: every key goes to the program'
complete -c cast-rec -l mark-termios -d 'Insert a marker whenever the program changes terminal modes (raw mode, echo), labelled with the change as stty writes it ("termios: -icanon -echo")'
complete -c cast-rec -s a -l append -d 'Continue an existing recording: times go on from its end, a new size becomes an r event'
complete -c cast-rec -l overwrite -d 'Replace FILE if it exists'
complete -c cast-rec -l headless -d 'Record without a terminal: fixed size, piped standard input forwarded, output copied to standard output unless the recording goes there (the default when there is no terminal)'
complete -c cast-rec -l typing-jitter -d 'With --script, vary each pause between typed keys by up to half the typing speed, as a person types (off by default: two runs of a tape then type identically)'
complete -c cast-rec -l keep-partial -d 'With --script, keep what was recorded when the tape fails (a Wait that times out); without it a failed tape leaves no recording'
complete -c cast-rec -s q -l quiet -d 'Print no warnings (errors are still printed)'
complete -c cast-rec -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cast-rec -s V -l version -d 'Print version'
