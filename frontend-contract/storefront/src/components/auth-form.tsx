'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { useId, useState, type FormEvent } from 'react';
import { LogInDocument, SignUpDocument } from '@/gql/graphql';
import { request, startSession, useSessionEndReason } from '@/lib/api';
import type { Session } from '@/lib/auth';
import { safeNextPath } from '@/lib/next-path';
import { ErrorAlert, Notice } from './status';

export function AuthForm({ mode }: { mode: 'login' | 'signup' }) {
  const ids = useId();
  const router = useRouter();
  const params = useSearchParams();
  const next = safeNextPath(params.get('next'));
  const reason = useSessionEndReason();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);

  const mutation = useMutation({
    mutationFn: async (): Promise<Session> => {
      if (mode === 'signup') {
        const { signUp } = await request(SignUpDocument, { input: { name: name.trim(), email: email.trim(), password } });
        return signUp;
      }
      const { logIn } = await request(LogInDocument, { input: { email: email.trim(), password } });
      return logIn;
    },
    onSuccess: (session) => {
      startSession({ token: session.token, expiresAt: session.expiresAt, user: session.user });
      queryClient.removeQueries({ queryKey: ['me'] });
      router.push(next);
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (mode === 'signup' && name.trim() === '') return setInvalid('Please enter your name.');
    if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) return setInvalid('Please enter a valid email address.');
    if (mode === 'signup' && (password.length < 8 || password.length > 128)) return setInvalid('The password must be 8 to 128 characters long.');
    if (password === '') return setInvalid('Please enter your password.');
    setInvalid(null);
    mutation.mutate();
  };

  const other = mode === 'login' ? '/signup/' : '/login/';
  const nextQuery = next === '/' ? '' : `?next=${encodeURIComponent(next)}`;
  return (
    <div className="mx-auto max-w-md">
      <h1 className="mb-4 text-2xl font-bold">{mode === 'login' ? 'Log in' : 'Create an account'}</h1>
      {reason === 'expired' || reason === 'rejected' ? (
        <Notice tone="warning">Your session has expired. Please log in again.</Notice>
      ) : null}
      <form onSubmit={submit} className="card flex flex-col gap-4" noValidate aria-describedby={invalid ? `${ids}-invalid` : undefined}>
        {mode === 'signup' ? (
          <div>
            <label htmlFor={`${ids}-name`} className="mb-1 block text-sm font-medium">
              Name
            </label>
            <input id={`${ids}-name`} name="name" autoComplete="name" required className="input" value={name} onChange={(e) => setName(e.target.value)} />
          </div>
        ) : null}
        <div>
          <label htmlFor={`${ids}-email`} className="mb-1 block text-sm font-medium">
            Email
          </label>
          <input
            id={`${ids}-email`}
            name="email"
            type="email"
            autoComplete="email"
            required
            className="input"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </div>
        <div>
          <label htmlFor={`${ids}-password`} className="mb-1 block text-sm font-medium">
            Password
          </label>
          <input
            id={`${ids}-password`}
            name="password"
            type="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            required
            minLength={mode === 'signup' ? 8 : undefined}
            aria-describedby={mode === 'signup' ? `${ids}-password-hint` : undefined}
            className="input"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          {mode === 'signup' ? (
            <p id={`${ids}-password-hint`} className="mt-1 text-xs text-slate-700">
              8 to 128 characters.
            </p>
          ) : null}
        </div>
        {invalid ? (
          <p id={`${ids}-invalid`} role="alert" className="text-sm text-red-800">
            {invalid}
          </p>
        ) : null}
        {mutation.isError ? <ErrorAlert error={mutation.error} /> : null}
        <button type="submit" className="btn btn-primary" disabled={mutation.isPending} aria-busy={mutation.isPending}>
          {mutation.isPending ? (mode === 'login' ? 'Logging in…' : 'Creating your account…') : mode === 'login' ? 'Log in' : 'Sign up'}
        </button>
      </form>
      <p className="mt-4 text-sm">
        {mode === 'login' ? 'New here? ' : 'Already have an account? '}
        <Link href={`${other}${nextQuery}`} className="text-indigo-800 underline">
          {mode === 'login' ? 'Create an account' : 'Log in'}
        </Link>
      </p>
    </div>
  );
}
