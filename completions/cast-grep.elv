
use builtin;
use str;

set edit:completion:arg-completer[cast-grep] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cast-grep'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cast-grep'= {
            cand -e 'A pattern to search for; repeat for several'
            cand --regexp 'A pattern to search for; repeat for several'
            cand -m 'Stop reading an input after NUM selected lines'
            cand --max-count 'Stop reading an input after NUM selected lines'
            cand -A 'Print NUM lines of context after each selected line'
            cand --after-context 'Print NUM lines of context after each selected line'
            cand -B 'Print NUM lines of context before each selected line'
            cand --before-context 'Print NUM lines of context before each selected line'
            cand -C 'Print NUM lines of context before and after each selected line'
            cand --context 'Print NUM lines of context before and after each selected line'
            cand --color 'Colour matches, file names and times'
            cand -g 'With -r, take files matching GLOB [default: *.cast, *.json, *.cast.gz, *.cast.zst]'
            cand --glob 'With -r, take files matching GLOB [default: *.cast, *.json, *.cast.gz, *.cast.zst]'
            cand -j 'Read N recordings at a time [default: one per CPU]'
            cand --threads 'Read N recordings at a time [default: one per CPU]'
            cand -F 'Patterns are fixed strings, not regular expressions'
            cand --fixed-strings 'Patterns are fixed strings, not regular expressions'
            cand -i 'Ignore case'
            cand --ignore-case 'Ignore case'
            cand -w 'Match whole words only'
            cand --word-regexp 'Match whole words only'
            cand -x 'Match whole lines only'
            cand --line-regexp 'Match whole lines only'
            cand -v 'Select lines that do not match'
            cand --invert-match 'Select lines that do not match'
            cand -c 'Print only the number of selected lines of each input'
            cand --count 'Print only the number of selected lines of each input'
            cand -l 'Print only the names of inputs with selected lines'
            cand --files-with-matches 'Print only the names of inputs with selected lines'
            cand -L 'Print only the names of inputs without selected lines'
            cand --files-without-match 'Print only the names of inputs without selected lines'
            cand -q 'Print nothing; exit 0 at the first selected line'
            cand --quiet 'Print nothing; exit 0 at the first selected line'
            cand --silent 'Print nothing; exit 0 at the first selected line'
            cand -s 'Print no messages about bad inputs'
            cand --no-messages 'Print no messages about bad inputs'
            cand -o 'Print only the matched parts, each on its own line with its own time'
            cand --only-matching 'Print only the matched parts, each on its own line with its own time'
            cand -n 'Print the number of the event that completed each line, after the file name'
            cand --line-number 'Print the number of the event that completed each line, after the file name'
            cand --event-number 'Print the number of the event that completed each line, after the file name'
            cand -H 'Print the file name with each line (the default with several inputs)'
            cand --with-filename 'Print the file name with each line (the default with several inputs)'
            cand --no-filename 'Never print file names'
            cand --input 'Search the typed input (i events) instead of the output'
            cand --stderr 'Search only the stderr output (castkit''s e events)'
            cand --markers 'Search marker labels (m events)'
            cand --json 'Print one JSON object per line, for scripts'
            cand --cast 'Write the matching events as a recording'
            cand -r 'Search directories among the FILEs recursively (the current directory when there are none); hidden files and directories are skipped'
            cand --recursive 'Search directories among the FILEs recursively (the current directory when there are none); hidden files and directories are skipped'
            cand --line-buffered 'Flush after every line printed (the default when standard output is a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}
