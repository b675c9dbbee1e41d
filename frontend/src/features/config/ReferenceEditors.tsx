// Reference data: the reason codes operators pick when acknowledging (engineers), and the
// user accounts with their roles (admins).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, ApiError, unwrap } from '@/lib/api';
import { fmtTime } from '@/lib/format';
import { keys } from '@/lib/queryKeys';
import { ROLES, type Role } from '@/lib/roles';
import { ErrorText, Field } from '@/lib/ui';

export function ReasonCodesEditor() {
  const client = useQueryClient();
  const codes = useQuery({
    queryKey: [...keys.reasonCodes, 'all'],
    queryFn: () => unwrap(api.listReasonCodes({ query: { include_inactive: true } })),
  });
  const [code, setCode] = useState('');
  const [label, setLabel] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const refresh = () => void client.invalidateQueries({ queryKey: keys.reasonCodes });

  const create = useMutation({
    mutationFn: () => unwrap(api.createReasonCode({ body: { code, label: label.trim() } })),
    onSuccess: () => {
      setCode('');
      setLabel('');
      refresh();
    },
    onError: (err) => err instanceof ApiError && setErrors(err.fieldErrors),
  });
  const update = useMutation({
    mutationFn: (v: { id: number; active?: boolean; label?: string }) =>
      unwrap(api.updateReasonCode({ path: { reason_code_id: v.id }, body: { active: v.active, label: v.label } })),
    onSuccess: refresh,
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!/^[A-Z0-9_]{1,50}$/.test(code)) errs.code = 'Capitals, digits and _ (e.g. TOOL_WEAR)';
    if (!label.trim()) errs.label = 'Required';
    setErrors(errs);
    if (!Object.keys(errs).length) create.mutate();
  };

  return (
    <section className="panel" aria-label="Reason codes">
      <div className="panel-title">
        <h2>Reason codes</h2>
        <span className="muted">offered when a violation is acknowledged; a code is never deleted, only deactivated</span>
      </div>
      <ErrorText error={codes.error ?? update.error} />
      <table className="data">
        <thead>
          <tr>
            <th>Code</th>
            <th>Label</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(codes.data ?? []).map((c) => (
            <tr key={c.id} className={c.active ? '' : 'muted'}>
              <td>
                <code>{c.code}</code>
              </td>
              <td>{c.label}</td>
              <td>{c.active ? 'active' : 'inactive'}</td>
              <td>
                <button type="button" className="small" onClick={() => update.mutate({ id: c.id, active: !c.active })}>
                  {c.active ? 'Deactivate' : 'Activate'}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="filters" onSubmit={submit} noValidate aria-label="New reason code">
        <Field label="Code" htmlFor="rc-code" error={errors.code}>
          <input id="rc-code" value={code} onChange={(e) => setCode(e.target.value.toUpperCase())} maxLength={50} />
        </Field>
        <Field label="Label" htmlFor="rc-label" error={errors.label}>
          <input id="rc-label" value={label} onChange={(e) => setLabel(e.target.value)} maxLength={200} />
        </Field>
        <button type="submit" className="primary" disabled={create.isPending}>
          Add reason code
        </button>
      </form>
      <ErrorText error={create.error instanceof ApiError && create.error.status !== 422 ? create.error : null} />
    </section>
  );
}

export function UsersEditor() {
  const client = useQueryClient();
  const users = useQuery({ queryKey: keys.users, queryFn: () => unwrap(api.listUsers()) });
  const [form, setForm] = useState({ username: '', password: '', role: 'operator' as Role });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const refresh = () => void client.invalidateQueries({ queryKey: keys.users });

  const create = useMutation({
    mutationFn: () => unwrap(api.createUser({ body: form })),
    onSuccess: () => {
      setForm({ username: '', password: '', role: 'operator' });
      refresh();
    },
    onError: (err) => err instanceof ApiError && setErrors(err.fieldErrors),
  });
  const update = useMutation({
    mutationFn: (v: { id: number; role?: Role; active?: boolean }) =>
      unwrap(api.updateUser({ path: { user_id: v.id }, body: { role: v.role, active: v.active } })),
    onSuccess: refresh,
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!form.username.trim()) errs.username = 'Required';
    if (form.password.length < 8) errs.password = 'At least 8 characters';
    setErrors(errs);
    if (!Object.keys(errs).length) create.mutate();
  };

  return (
    <section className="panel" aria-label="Users">
      <div className="panel-title">
        <h2>Users</h2>
        <span className="muted">operator &lt; engineer &lt; admin</span>
      </div>
      <ErrorText error={users.error ?? update.error} />
      <table className="data">
        <thead>
          <tr>
            <th>User</th>
            <th>Role</th>
            <th>Status</th>
            <th>Since</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(users.data ?? []).map((u) => (
            <tr key={u.id}>
              <td>{u.username}</td>
              <td>
                <select value={u.role} aria-label={`Role of ${u.username}`} onChange={(e) => update.mutate({ id: u.id, role: e.target.value as Role })}>
                  {ROLES.map((r) => (
                    <option key={r}>{r}</option>
                  ))}
                </select>
              </td>
              <td>{u.active ? 'active' : 'disabled'}</td>
              <td>{fmtTime(u.created_at)}</td>
              <td>
                <button type="button" className="small" onClick={() => update.mutate({ id: u.id, active: !u.active })}>
                  {u.active ? 'Disable' : 'Enable'}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="filters" onSubmit={submit} noValidate aria-label="New user">
        <Field label="User name" htmlFor="u-name" error={errors.username}>
          <input id="u-name" autoComplete="off" value={form.username} onChange={(e) => setForm({ ...form, username: e.target.value })} />
        </Field>
        <Field label="Password" htmlFor="u-password" error={errors.password}>
          <input id="u-password" type="password" autoComplete="new-password" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
        </Field>
        <Field label="Role" htmlFor="u-role">
          <select id="u-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </Field>
        <button type="submit" className="primary" disabled={create.isPending}>
          Add user
        </button>
      </form>
      <ErrorText error={create.error instanceof ApiError && create.error.status !== 422 ? create.error : null} />
    </section>
  );
}
