
use builtin;
use str;

set edit:completion:arg-completer[cast-rec] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cast-rec'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cast-rec'= {
            cand -c 'Command to record, run with /bin/sh -c [default: $SHELL, else /bin/sh]'
            cand --command 'Command to record, run with /bin/sh -c [default: $SHELL, else /bin/sh]'
            cand --stderr-order 'How --stderr keeps the order of stdout and stderr'
            cand --marker-label 'Label of markers inserted with SIGUSR1 or Ctrl-] m'
            cand -t 'Title for the header'
            cand --title 'Title for the header'
            cand --idle-time-limit 'Idle time limit for players, in the header (SECONDS, M:SS or H:MM:SS)'
            cand --env 'Environment variables to save in the header, comma-separated'
            cand --format 'Version to write (v2 has the widest player support); --append keeps the file''s'
            cand --cols 'Width of the pty, at most 4096 [default: the terminal''s, else 80]'
            cand --rows 'Height of the pty, at most 4096, and at most 1048576 cells with --cols [default: the terminal''s, else 24]'
            cand --script 'Play a VHS tape into the shell instead of reading keys: headless, typed at the tape''s TypingSpeed, recorded until the tape ends (see TAPES in the manual)'
            cand --stderr 'Record the program''s stderr apart, as e events; it still sees a terminal on fd 2'
            cand -I 'Record keystrokes as i events (off by default: passwords)'
            cand --capture-input 'Record keystrokes as i events (off by default: passwords)'
            cand --no-marker-key 'Do not treat Ctrl-] specially: every key goes to the program'
            cand --mark-termios 'Insert a marker whenever the program changes terminal modes (raw mode, echo), labelled with the change as stty writes it ("termios: -icanon -echo")'
            cand -a 'Continue an existing recording: times go on from its end, a new size becomes an r event'
            cand --append 'Continue an existing recording: times go on from its end, a new size becomes an r event'
            cand --overwrite 'Replace FILE if it exists'
            cand --headless 'Record without a terminal: fixed size, piped standard input forwarded, output copied to standard output unless the recording goes there (the default when there is no terminal)'
            cand --typing-jitter 'With --script, vary each pause between typed keys by up to half the typing speed, as a person types (off by default: two runs of a tape then type identically)'
            cand --keep-partial 'With --script, keep what was recorded when the tape fails (a Wait that times out); without it a failed tape leaves no recording'
            cand -q 'Print no warnings (errors are still printed)'
            cand --quiet 'Print no warnings (errors are still printed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}
