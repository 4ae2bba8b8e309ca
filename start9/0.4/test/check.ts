// A tiny runner for the test/*.check.ts files: each is bundled with ncc and run by node
// (tests/test_startos_package.py). Prints one line per case; exits 1 if any case failed.
import { isDeepStrictEqual } from 'node:util'

let failed = 0
let passed = 0

export function expectEqual(name: string, got: unknown, want: unknown): void {
  if (isDeepStrictEqual(got, want)) {
    passed++
    console.log(`ok - ${name}`)
  } else {
    failed++
    console.log(`FAIL - ${name}\n  want: ${JSON.stringify(want)}\n  got:  ${JSON.stringify(got)}`)
  }
}

export function done(): void {
  console.log(`${passed} passed, ${failed} failed`)
  process.exit(failed ? 1 : 0)
}
