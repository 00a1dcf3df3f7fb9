import { main } from './main.js';

// A reader that goes away early (`gatehouse cert list | head -1`) closes the pipe: the rest of the
// output has nowhere to go, which is the reader's choice and no error of the command's. Drop it
// quietly and keep the command's own exit status (Node ignores SIGPIPE, so without this listener
// the EPIPE would surface as an unhandled 'error' event with a stack trace and exit 1).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

// The process shell around main(): real stdout/stderr, the real environment and exit code.
const code = await main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
