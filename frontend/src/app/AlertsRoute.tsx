import { useNavigate } from 'react-router-dom';
import { AlertsPage } from '@/features/alerts';

export function AlertsRoute() {
  const navigate = useNavigate();
  return <AlertsPage onOpenPoint={(c, sample) => navigate(`/?c=${c}&sample=${sample}`)} />;
}
