// The root README's Node snippet, run as written from the repository root.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

test('README Node quick start runs without a failed assertion', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1])
  assert.ok(blocks.length >= 1, 'README has a js block')
  for (const code of blocks) {
    const run = spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8' })
    assert.equal(run.status, 0, run.stderr)
    assert.equal(run.stderr, '', 'console.assert failures print to stderr')
  }
})
