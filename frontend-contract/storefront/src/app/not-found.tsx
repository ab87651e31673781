import Link from 'next/link';

export default function NotFound() {
  return (
    <>
      <h1 className="mb-4 text-2xl font-bold">Page not found</h1>
      <p>
        <Link href="/" className="text-indigo-800 underline">
          Back to the catalogue
        </Link>
      </p>
    </>
  );
}
