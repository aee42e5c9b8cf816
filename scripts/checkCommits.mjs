#!/usr/bin/env node
/**
 * Checks the commit subjects CONTRIBUTING.md asks for, on every commit since that file was added
 * (older history is left as it is): at most 72 characters, no trailing full stop, no "WIP".
 * Exits 1 listing the commits that break a rule; exits 0 with a note when git history is absent.
 */
import { execFileSync } from 'node:child_process';

const MAX_SUBJECT = 72;

function git(...args) {
  return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

let since;
try {
  since = git('log', '--diff-filter=A', '--format=%H', '--', 'CONTRIBUTING.md').split('\n').pop();
} catch {
  console.log('checkCommits: no git history here; nothing to check');
  process.exit(0);
}
if (!since) {
  console.log('checkCommits: CONTRIBUTING.md is not committed yet; nothing to check');
  process.exit(0);
}

const log = git('log', '--no-merges', '--format=%h%x09%s', `${since}^..HEAD`);
const problems = [];
for (const line of log.split('\n').filter(Boolean)) {
  const [hash, subject] = line.split('\t');
  if (subject.length > MAX_SUBJECT)
    problems.push(`${hash} subject is ${subject.length} characters (max ${MAX_SUBJECT}): ${subject}`);
  if (/\.$/.test(subject)) problems.push(`${hash} subject ends with a full stop: ${subject}`);
  if (/^wip\b/i.test(subject)) problems.push(`${hash} is a work-in-progress commit: ${subject}`);
}
if (problems.length > 0) {
  console.error(
    `checkCommits: ${problems.length} problem(s); see CONTRIBUTING.md "Commits"\n${problems.join('\n')}`,
  );
  process.exit(1);
}
console.log(
  `checkCommits: ${log.split('\n').filter(Boolean).length} commit subject(s) since CONTRIBUTING.md follow it`,
);
