import { definePackageTests } from '../../tooling/config/vitest.ts'

export default definePackageTests()
