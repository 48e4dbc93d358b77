const adjectives = [
  'hopeful',
  'brave',
  'calm',
  'eager',
  'gentle',
  'jolly',
  'lively',
  'nimble',
  'proud',
  'quiet',
  'rapid',
  'silver',
  'sturdy',
  'witty',
  'zealous',
  'amber',
  'bold',
  'cosmic',
  'dapper',
  'fuzzy',
]
const animals = [
  'tortoise',
  'otter',
  'falcon',
  'badger',
  'heron',
  'lynx',
  'marmot',
  'newt',
  'ocelot',
  'panda',
  'quokka',
  'raven',
  'salamander',
  'tapir',
  'urchin',
  'vole',
  'walrus',
  'yak',
  'zebra',
  'gecko',
]

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.min(items.length - 1, Math.floor(random() * items.length))]!
}

/** A flow-run style slug such as `hopeful-tortoise`. */
export function randomSlug(random: () => number): string {
  return `${pick(adjectives, random)}-${pick(animals, random)}`
}
