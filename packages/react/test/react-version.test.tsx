import { version as reactVersion } from 'react'
import { version as domVersion } from 'react-dom'
import { describe, expect, it } from 'vitest'

describe('the React under test', () => {
  it('is the major this run is for (19 here, 18 in tooling/react18)', () => {
    expect(reactVersion.split('.')[0]).toBe(process.env.FLOWCAST_EXPECT_REACT)
    expect(domVersion).toBe(reactVersion)
  })
})
