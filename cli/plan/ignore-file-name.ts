// Its own module so that registering `tengine plan` (which names the file in --help) does not load the YAML parser.

/** The file name `tengine plan` looks for next to the root config. */
export const IGNORE_FILE_NAME = '.tengine-plan-ignore.yaml';
