import { defineCliCommand } from './command.ts';

export default defineCliCommand({
  meta: { name: 'config', description: "Push or show the deployed stack's drill configuration" },
  subCommands: {
    push: () => import('./config-push.ts').then((m) => m.default),
    show: () => import('./config-show.ts').then((m) => m.default),
  },
  notes: `The deployed stack keeps one configuration file in its versioned S3 bucket (the ConfigBucket
and ConfigKey outputs); its drills read their targets from it.`,
});
