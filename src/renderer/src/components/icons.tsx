import type { SVGProps } from 'react';

/** 20px outline icons (paths after Heroicons, MIT). */
function Icon({ d, ...props }: { d: string } & SVGProps<SVGSVGElement>) {
  return (
    <svg
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.6}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      width={20}
      height={20}
      {...props}
    >
      <path d={d} />
    </svg>
  );
}

export const icons = {
  overview: (p: SVGProps<SVGSVGElement>) => <Icon {...p} d="M3 12l9-8 9 8M5 10v10h5v-6h4v6h5V10" />,
  models: (p: SVGProps<SVGSVGElement>) => <Icon {...p} d="M12 3l8 4.5v9L12 21l-8-4.5v-9L12 3zm0 0v18m8-13.5L12 12 4 7.5" />,
  features: (p: SVGProps<SVGSVGElement>) => <Icon {...p} d="M11 4a7 7 0 105.2 11.7L21 20.5M8 11h6m-3-3v6" />,
  steer: (p: SVGProps<SVGSVGElement>) => <Icon {...p} d="M4 6h10m4 0h2M4 12h4m4 0h8M4 18h12m4 0h0M14 4v4m-6 2v4m8 2v4" />,
  health: (p: SVGProps<SVGSVGElement>) => <Icon {...p} d="M3 12h4l2-5 4 10 2-5h6" />,
  jobs: (p: SVGProps<SVGSVGElement>) => <Icon {...p} d="M4 6h16M4 12h10M4 18h6m9-5v6m-3-3h6" />,
  settings: (p: SVGProps<SVGSVGElement>) => (
    <Icon
      {...p}
      d="M10.3 4.3a1.7 1.7 0 013.4 0l.2 1a1.7 1.7 0 002.5 1.1l.9-.5a1.7 1.7 0 012.4 2.4l-.5.9a1.7 1.7 0 001 2.5l1 .2a1.7 1.7 0 010 3.4l-1 .2a1.7 1.7 0 00-1 2.5l.5.9a1.7 1.7 0 01-2.4 2.4l-.9-.5a1.7 1.7 0 00-2.5 1l-.2 1a1.7 1.7 0 01-3.4 0l-.2-1a1.7 1.7 0 00-2.5-1l-.9.5a1.7 1.7 0 01-2.4-2.4l.5-.9a1.7 1.7 0 00-1-2.5l-1-.2a1.7 1.7 0 010-3.4l1-.2a1.7 1.7 0 001-2.5l-.5-.9a1.7 1.7 0 012.4-2.4l.9.5a1.7 1.7 0 002.5-1.1l.2-1zM12 15a3 3 0 100-6 3 3 0 000 6z"
    />
  ),
  refresh: (p: SVGProps<SVGSVGElement>) => (
    <Icon {...p} d="M4 4v6h6M20 20v-6h-6M5.6 15a7 7 0 0011.8 2.4L20 14M4 10l2.6-3.4A7 7 0 0118.4 9" />
  ),
} as const;

/** The app mark: a sparse grid with a few lit cells (latents). */
export function Logo() {
  const lit = new Set([1, 6, 8, 13]);
  return (
    <svg viewBox="0 0 32 32" width={28} height={28} aria-hidden="true">
      <rect width="32" height="32" rx="8" className="fill-violet-600" />
      {Array.from({ length: 16 }, (_, i) => (
        <rect
          key={i}
          x={5 + (i % 4) * 6}
          y={5 + Math.floor(i / 4) * 6}
          width="4"
          height="4"
          rx="1"
          className={lit.has(i) ? 'fill-white' : 'fill-violet-400/50'}
        />
      ))}
    </svg>
  );
}
