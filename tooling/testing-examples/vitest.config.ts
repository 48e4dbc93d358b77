import { definePackageTests } from '../config/vitest.ts'

export default definePackageTests()
