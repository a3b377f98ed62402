export const CLIENT_COMMANDS = {};
