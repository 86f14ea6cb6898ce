export type Compression = 'gzip' | 'zstd' | 'none';
